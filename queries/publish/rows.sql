-- segsql publish: one run's rows of one output table, for a Delta or Iceberg table.
-- inputs:     {{ table }}, an output table
-- parameters: $run_id
-- output:     the table's columns, run_id among them (the lake table's partition column)
SELECT * FROM {{ table }} WHERE run_id = $run_id
