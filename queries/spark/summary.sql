-- segsql (DuckDB SQL): queries/profiles/summary.sql under engine = "spark": the sizes and p99
--         distances come from Spark (queries/spark/profile_segments.sql), so no row is read here.
-- inputs:     segsql_segment_sizes (queries/spark/segment_sizes_in.sql, left by the profiles
--             step); segsql_names_in(segment, name, description, recommendation), chosen by
--             segsql.steps.naming
-- output:     TEMP TABLE segsql_segment_summary, the columns of queries/profiles/summary.sql,
--             one row per segment, in segment order
CREATE OR REPLACE TEMP TABLE segsql_segment_summary AS
SELECT z.segment, z.size, z.size / sum(z.size) OVER () AS share, n.name,
       z.p99_distance, n.description, n.recommendation, CAST(NULL AS DOUBLE) AS weight
FROM segsql_segment_sizes AS z LEFT JOIN segsql_names_in AS n USING (segment)
ORDER BY z.segment
