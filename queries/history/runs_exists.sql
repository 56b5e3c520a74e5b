-- segsql: whether the run database has a runs table (or view) in the output schema, for
-- `segsql runs` to tell "no runs yet" from a runs table it cannot read.
-- inputs:     the current database's catalog
-- parameters: $schema, the output schema ([project] schema)
-- output:     one row per relation named runs in that schema (none or one)
SELECT table_type
FROM information_schema.tables
WHERE table_catalog = current_database() AND table_schema = $schema AND table_name = 'runs'
