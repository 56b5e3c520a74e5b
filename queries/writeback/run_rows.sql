-- segsql: the rows one run wrote to one output table.
-- parameters: $run_id
-- output:     the table's rows for that run
SELECT * FROM {{ table }} WHERE run_id = $run_id
