-- segsql (DuckDB SQL): the folder a Spark engine's `segments` view reads, from the view's
-- comment (queries/spark/segments_view.sql), in the connection's default catalog.
-- parameters: $schema  the run's [project] schema
-- output:     one row: comment (NULL when the view has none); no row without such a view
SELECT comment
FROM duckdb_views()
WHERE database_name = current_database() AND schema_name = $schema AND view_name = 'segments'
