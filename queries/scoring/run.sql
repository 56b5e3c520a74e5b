-- segsql: the run to score with: the given run, or the latest successful one.
-- inputs:     {{ schema }}.runs
-- parameters: $run_id   a run id, or NULL for the latest successful run
-- output:     at most one row: run_id, status, entity, features (JSON list), impute
SELECT run_id, status, entity, features, impute
FROM {{ schema }}.runs
WHERE run_id = coalesce($run_id, (SELECT max(run_id) FROM {{ schema }}.runs WHERE status = 'success'))
