-- segsql report: the latest successful run, whose report is also `report.html` in [output] dir.
-- inputs:  {{ schema }}.runs
-- output:  one row: run_id (NULL when there is no successful run)
SELECT max(run_id) AS run_id FROM {{ schema }}.runs WHERE status = 'success'
