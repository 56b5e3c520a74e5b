-- segsql: the runs of a database, newest first, for `segsql runs`.
-- inputs:  {{ schema }}.runs
-- output:  run_id, name, started_at, seconds, status, input_rows, k, k_choice, algorithm,
--          inertia, silhouette
SELECT run_id, name, started_at,
       round(epoch(finished_at) - epoch(started_at), 2) AS seconds,
       status, input_rows, k, algorithm, inertia, silhouette, k_choice
FROM {{ schema }}.runs
ORDER BY run_id DESC
