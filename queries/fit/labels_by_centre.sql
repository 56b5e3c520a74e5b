-- segsql: the streamed model's labels, renumbered 1..K largest first, joined to the entities.
-- inputs:  segsql_assigned; segsql_renumber_in(raw_segment, segment) from segsql.steps.fit.streamed
-- output:  TEMP TABLE segsql_labels(segsql_entity, segment INTEGER, distance DOUBLE),
--          as queries/fit/labels_by_row.sql makes for the in-memory fit
CREATE OR REPLACE TEMP TABLE segsql_labels AS
SELECT a.segsql_entity, CAST(m.segment AS INTEGER) AS segment, a.distance
FROM segsql_assigned AS a
JOIN segsql_renumber_in AS m USING (raw_segment)
