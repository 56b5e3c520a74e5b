-- segsql: one row per segment: its size, its share of all entities, its name, what sets it
--         apart and what to do about it, and the 99th percentile of its members' distances
--         to its centroid (beyond it, a scored row is an outlier).
-- inputs:     segsql_labels; segsql_names_in(segment, name, description, recommendation), chosen
--             by segsql.steps.naming (recommendation NULL: no [[recommendations]] rule matched)
-- output:     TEMP TABLE segsql_segment_summary, one row per segment, in segment order; weight
--             is NULL (no [features] weight: queries/profiles/summary_weighted.sql sets it)
CREATE OR REPLACE TEMP TABLE segsql_segment_summary AS
SELECT l.segment, count(*) AS size,
       count(*) / sum(count(*)) OVER () AS share, any_value(n.name) AS name,
       quantile_cont(l.distance, 0.99) AS p99_distance,
       any_value(n.description) AS description, any_value(n.recommendation) AS recommendation,
       CAST(NULL AS DOUBLE) AS weight
FROM segsql_labels AS l LEFT JOIN segsql_names_in AS n USING (segment)
GROUP BY l.segment
ORDER BY l.segment
