-- segsql (DuckDB SQL): the labels Spark's scoring query gave every row, as the table the later
-- steps update in place (lifecycle renumbering, [segments] min_size merges).
-- inputs:  {{ literal: files }}, the glob of the staged labels (segsql_entity, segment, distance)
-- output:  TEMP TABLE segsql_labels(segsql_entity, segment INTEGER, distance DOUBLE)
CREATE OR REPLACE TEMP TABLE segsql_labels AS
SELECT segsql_entity, CAST(segment AS INTEGER) AS segment, CAST(distance AS DOUBLE) AS distance
FROM read_parquet({{ literal: files }})
