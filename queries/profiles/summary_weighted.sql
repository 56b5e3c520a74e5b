-- segsql: queries/profiles/summary.sql with sample weights ([features] weight): each segment's
--         weight is the sum of its members' weights and its share is that weight's share of
--         the total (README, "Sample weights"); size stays the number of entities.
-- inputs:     segsql_labels; segsql_features (segsql_weight); segsql_names_in(segment, name,
--             description, recommendation), chosen by segsql.steps.naming
-- output:     TEMP TABLE segsql_segment_summary, one row per segment, in segment order
CREATE OR REPLACE TEMP TABLE segsql_segment_summary AS
SELECT l.segment, count(*) AS size,
       sum(f.segsql_weight) / sum(sum(f.segsql_weight)) OVER () AS share, any_value(n.name) AS name,
       quantile_cont(l.distance, 0.99) AS p99_distance,
       any_value(n.description) AS description, any_value(n.recommendation) AS recommendation,
       sum(f.segsql_weight) AS weight
FROM segsql_labels AS l
JOIN segsql_features AS f USING (segsql_entity)
LEFT JOIN segsql_names_in AS n USING (segment)
GROUP BY l.segment
ORDER BY l.segment
