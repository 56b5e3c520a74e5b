-- segsql: <table>_latest, the rows of the latest successful run.
-- inputs:  {{ table }}, {{ runs }}: unqualified, bound in the view's own catalog and schema
-- output:  VIEW {{ view }}
CREATE OR REPLACE VIEW {{ view }} AS
SELECT * FROM {{ table }}
WHERE run_id = (SELECT max(run_id) FROM {{ runs }} WHERE status = 'success')
