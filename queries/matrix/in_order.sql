-- segsql: the scaled features in entity order without a sort, read block by block by the streamed fit.
-- inputs:  segsql_scaled (written in segsql_row order by queries/preprocess/scaled.sql)
-- output:  segsql_row, then one DOUBLE column per feature, in config order
-- With DuckDB's preserve_insertion_order (the default) a scan returns a table's rows in
-- the order they were inserted, so no ORDER BY (a sort of every row, every pass) is needed;
-- segsql.steps.matrix.blocks checks segsql_row and uses matrix/ordered.sql when the setting is off.
SELECT segsql_row, {{ columns: @col }} FROM segsql_scaled
