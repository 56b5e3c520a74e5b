-- segsql: the id of the next run: one more than any run so far.
-- inputs:  {{ schema }}.runs
-- output:  one row: run_id
SELECT coalesce(max(run_id), 0) + 1 AS run_id FROM {{ schema }}.runs
