-- segsql: the runs of a database, newest first, for `segsql runs`.
-- inputs:  {{ schema }}.runs
-- output:  run_id, name, started_at, seconds, status, as_of (the RFM as_of the run used, NULL
--          otherwise), input_rows, k, algorithm, inertia, silhouette, k_choice.
--          as_of is chosen by name: a runs table written before it existed has no such column
--          (segsql adds it on its next run), and still lists, without it.
SELECT run_id, name, started_at,
       round(epoch(finished_at) - epoch(started_at), 2) AS seconds,
       COLUMNS(lambda c: c IN ('status', 'as_of')),
       input_rows, k, algorithm, inertia, silhouette, k_choice
FROM {{ schema }}.runs
ORDER BY run_id DESC
