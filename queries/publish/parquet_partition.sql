-- segsql publish: one run's rows of one output table as one Parquet file of a hive partition
-- (`<table>/run_id=<N>/part-0.parquet`): the partition folder holds the run_id, the file does not.
-- inputs:     {{ table }}, an output table
-- parameters: $run_id; $path, the file to write (beside the table, renamed into place after)
-- output:     the file; one row, the number of rows written
COPY (SELECT * EXCLUDE (run_id) FROM {{ table }} WHERE run_id = $run_id) TO $path (FORMAT parquet)
