-- segsql: chosen rows of the scaled features with their final segment (the streamed run's map sample).
-- inputs:  segsql_scaled; segsql_labels (entity, segment); segsql_rows_in(segsql_row) from segsql.steps.matrix
-- output:  segsql_row, segment, then one DOUBLE column per feature; in no particular order
SELECT s.segsql_row, l.segment, {{ columns: s.@col }}
FROM segsql_scaled AS s
JOIN segsql_labels AS l USING (segsql_entity)
SEMI JOIN segsql_rows_in AS r USING (segsql_row)
