-- segsql (DuckDB SQL): each segment's size and p99 distance as Spark computed them
--         (queries/spark/profile_segments.sql), for queries/spark/summary.sql.
-- inputs:  segsql_segment_sizes_in(segment, members, p99_distance), the collected rows, from
--          segsql.spark.profiles
-- output:  TEMP TABLE segsql_segment_sizes(segment INTEGER, size BIGINT, p99_distance DOUBLE)
CREATE OR REPLACE TEMP TABLE segsql_segment_sizes AS
SELECT CAST(segment AS INTEGER) AS segment, CAST(members AS BIGINT) AS size,
       CAST(p99_distance AS DOUBLE) AS p99_distance
FROM segsql_segment_sizes_in
ORDER BY segment
