-- segsql: the drift rows of this run against the previous run, filled by the drift queries
-- (queries/drift/features.sql, segments.sql, measure.sql) in the order they are stored.
-- inputs:  none
-- output:  TEMP TABLE segsql_drift, empty, with the columns of the drift table but run_id
CREATE OR REPLACE TEMP TABLE segsql_drift (
    previous_run_id BIGINT, measure VARCHAR, feature VARCHAR, value DOUBLE, warn BOOLEAN
)
