-- segsql: the runs the assign macro can score with: every successful run, and the run being
-- written (whose row the write-back has just inserted, in the same transaction).
-- inputs:     {{ schema }}.runs
-- parameters: $run_id   the run being written
-- output:     run_id, entity, features (JSON list), in run order
SELECT run_id, entity, features
FROM {{ schema }}.runs
WHERE status = 'success' OR run_id = $run_id
ORDER BY run_id
