-- segsql: chosen rows of the scaled features with their segment (the silhouette's sample).
-- inputs:  segsql_scaled; segsql_assigned; segsql_rows_in(segsql_row) from segsql.steps.matrix
-- output:  segsql_row, raw_segment, then one DOUBLE column per feature; in no particular order
SELECT s.segsql_row, a.raw_segment, {{ columns: s.@col }}
FROM segsql_scaled AS s
JOIN segsql_assigned AS a USING (segsql_row)
SEMI JOIN segsql_rows_in AS r USING (segsql_row)
