-- segsql publish: record one table published.
-- inputs:     {{ schema }}.publishes (publish/publishes_table.sql)
-- parameters: $run_id, $target, $format, $table_name, $version, $rows
-- output:     one row appended to {{ schema }}.publishes
INSERT INTO {{ schema }}.publishes
VALUES ($run_id, $target, $format, $table_name, $version, $rows, current_localtimestamp())
