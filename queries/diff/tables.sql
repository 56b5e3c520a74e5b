-- segsql diff: which of the tables a diff reads exist in the output schema (a database
-- written before they existed has none of them until its next run).
-- inputs:     the current database's catalog
-- parameters: $schema, the output schema ([project] schema)
-- output:     table_name, one row per table present
SELECT table_name
FROM information_schema.tables
WHERE table_catalog = current_database() AND table_schema = $schema
  AND table_name IN ('segment_transitions', 'segment_lineage', 'drift')
