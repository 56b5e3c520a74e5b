-- segsql: chosen rows of the scaled features (the K sweep's sample), by row number.
-- inputs:  segsql_scaled; segsql_rows_in(segsql_row) from segsql.steps.matrix
-- output:  segsql_row, then one DOUBLE column per feature; in no particular order
SELECT s.segsql_row, {{ columns: s.@col }}
FROM segsql_scaled AS s
SEMI JOIN segsql_rows_in AS r USING (segsql_row)
