-- segsql publish: the run to publish (a successful one).
-- inputs:     {{ schema }}.runs
-- parameters: $run_id, NULL for the latest successful run
-- output:     one row (run_id), or none when there is no such run
SELECT run_id
FROM {{ schema }}.runs
WHERE status = 'success'
  AND run_id = coalesce($run_id, (SELECT max(run_id) FROM {{ schema }}.runs WHERE status = 'success'))
