-- segsql (Spark SQL): this run's labels as the DuckDB steps left them before the profiles: the
--         fit's segments renumbered by the lifecycle step and merged by the [segments] min_size
--         guard (what queries/lifecycle/renumber.sql and queries/guard/merge.sql do in DuckDB);
--         no centre moved (else queries/spark/final_segments_moved.sql).
-- inputs:  segsql_spark_labels(segsql_entity, segment 1..K, distance), what Spark's scoring
--          query gave every row; segsql_segment_map(fit_segment, segment), from
--          segsql.spark.profiles
-- output:  rows (segsql_entity, segment INT, distance DOUBLE), made the temp view
--          segsql_final_labels
SELECT l.segsql_entity, CAST(m.segment AS INT) AS segment, l.distance
FROM segsql_spark_labels AS l
JOIN segsql_segment_map AS m ON l.segment = m.fit_segment
