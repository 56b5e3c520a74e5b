-- segsql (DuckDB SQL): the run's final labels (after lifecycle numbering and merges), handed to
-- Spark, which writes them to [spark] output.
-- inputs:  {{ labels }} (segsql_entity, segment, distance); {{ entity }} the entity's name
-- output:  the Parquet file {{ literal: file }}
COPY (SELECT segsql_entity AS {{ entity }}, segment, distance FROM {{ labels }})
TO {{ literal: file }} (FORMAT parquet)
