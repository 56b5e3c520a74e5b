-- segsql: one drift row whose value another query counted (the outlier share, from
-- queries/drift/outliers.sql), appended as it is; such a measure never warns.
-- inputs:     segsql_drift
-- parameters: $previous_run_id; $measure; $value (NULL when it could not be measured)
-- output:     one row appended to segsql_drift (feature NULL)
INSERT INTO segsql_drift
SELECT $previous_run_id AS previous_run_id, $measure AS measure, NULL AS feature,
       CAST($value AS DOUBLE) AS value, false AS warn
