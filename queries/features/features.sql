-- segsql: the feature table, one row per entity, every feature as DOUBLE.
-- inputs:  segsql_user_features; {{ entity }} its entity column; the feature columns.
-- output:  TEMP VIEW segsql_features(segsql_entity, <feature> DOUBLE …), names unchanged.
--          A view, not a copy: the casts are cheap and every reader scans it once or twice.
CREATE OR REPLACE TEMP VIEW segsql_features AS
SELECT {{ entity }} AS segsql_entity,
       {{ columns: CAST(@col AS DOUBLE) AS @col }}
FROM segsql_user_features
