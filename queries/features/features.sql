-- segsql: the feature table, one row per entity, every feature as DOUBLE.
-- inputs:  segsql_user_features; {{ entity }} its entity column; the feature columns.
-- output:  TEMP TABLE segsql_features(segsql_entity, <feature> DOUBLE …), names unchanged.
CREATE OR REPLACE TEMP TABLE segsql_features AS
SELECT {{ entity }} AS segsql_entity,
       {{ columns: CAST(@col AS DOUBLE) AS @col }}
FROM segsql_user_features
