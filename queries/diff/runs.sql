-- segsql diff: the successful runs of the output schema, oldest first.
-- inputs:  {{ schema }}.runs
-- output:  run_id, entity, and previous_run_id (the run each run was compared with, NULL for
--          none) when the table has it: it is chosen by name, so a runs table written before
--          the column existed still lists (segsql adds the column on its next run).
SELECT COLUMNS(lambda c: c IN ('run_id', 'entity', 'previous_run_id'))
FROM {{ schema }}.runs
WHERE status = 'success'
ORDER BY run_id
