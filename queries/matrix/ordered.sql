-- segsql: the scaled features in entity order, read block by block by the streamed fit.
-- inputs:  segsql_scaled
-- output:  one DOUBLE column per feature, in config order; row r is segsql_row = r
SELECT {{ columns: @col }} FROM segsql_scaled ORDER BY segsql_row
