-- segsql (Spark SQL): queries/spark/final_segments.sql after [segments] min_size merges moved
--         some centres: their members get their distance to the moved centre, as
--         queries/guard/distances.sql gives it in DuckDB.
-- inputs:  segsql_spark_labels(segsql_entity, segment 1..K, distance); segsql_segment_map(
--          fit_segment, segment); segsql_moved_centres(segment, c_0 …), the moved centres in
--          the model's space, from segsql.spark.profiles; segsql_scaled
-- output:  rows (segsql_entity, segment INT, distance DOUBLE), made the temp view
--          segsql_final_labels
SELECT l.segsql_entity, CAST(m.segment AS INT) AS segment,
       CASE WHEN c.segment IS NULL THEN l.distance
            -- the Euclidean distance, summed from 0 in feature order as DuckDB's list_distance
            ELSE sqrt(aggregate(array({{ columns: (s.@col - c.c_@i) * (s.@col - c.c_@i) }}), CAST(0 AS DOUBLE), (acc, x) -> acc + x))
       END AS distance
FROM segsql_spark_labels AS l
JOIN segsql_segment_map AS m ON l.segment = m.fit_segment
JOIN segsql_scaled AS s ON l.segsql_entity = s.segsql_entity
LEFT JOIN segsql_moved_centres AS c ON m.segment = c.segment
