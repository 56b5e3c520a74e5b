-- segsql: the in-memory fit's labels joined back to the entities, by row number.
-- inputs:  segsql_scaled; segsql_labels_in(segsql_row, segment, distance) from segsql.steps.fit.in_memory
-- output:  TEMP TABLE segsql_labels(segsql_entity, segment INTEGER, distance DOUBLE)
CREATE OR REPLACE TEMP TABLE segsql_labels AS
SELECT s.segsql_entity, CAST(l.segment AS INTEGER) AS segment, l.distance
FROM segsql_scaled AS s
JOIN segsql_labels_in AS l USING (segsql_row)
