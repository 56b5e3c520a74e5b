-- segsql: the drift measures that warn, in the order they were stored.
-- inputs:  segsql_drift (queries/drift/drift_table.sql)
-- output:  feature (NULL for the segment shares), value; one row per warning
SELECT feature, value FROM segsql_drift WHERE warn ORDER BY rowid
