-- segsql: whether DuckDB returns a table's rows in the order they were inserted.
-- inputs:  none
-- output:  one row, one BOOLEAN: the connection's preserve_insertion_order setting
SELECT current_setting('preserve_insertion_order') AS preserve_insertion_order
