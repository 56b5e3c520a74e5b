-- segsql: the features table, created when missing, with the entity under its own name and type.
-- inputs:  segsql_user_features, the feature query's result; {{ source }} its entity column
--          (segsql_entity for a built-in recipe); {{ entity }} is [features] entity; the
--          columns: this run's numeric features.
-- output:  TABLE {{ schema }}.features(run_id, {{ entity }}, <numeric feature> DOUBLE …); the
--          columns later runs need are added to it (writeback/features_number.sql,
--          writeback/features_text.sql)
CREATE TABLE IF NOT EXISTS {{ schema }}.features AS
SELECT CAST(NULL AS BIGINT) AS run_id, {{ source }} AS {{ entity }},
       {{ columns: CAST(NULL AS DOUBLE) AS @col }}
FROM segsql_user_features
LIMIT 0
