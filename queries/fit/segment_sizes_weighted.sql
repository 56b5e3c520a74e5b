-- segsql: queries/fit/segment_sizes.sql with sample weights ([features] weight): each assigned
--         segment's size, its weight (the sum of its rows' weights) and its weighted inertia.
-- inputs:  segsql_assigned (queries/fit/assign.sql); segsql_scaled (segsql_weight)
-- output:  raw_segment, size, weight, inertia (the sum of weight × squared distance); one row
--          per non-empty segment
SELECT a.raw_segment, count(*) AS size, sum(s.segsql_weight) AS weight,
       sum(s.segsql_weight * a.distance * a.distance) AS inertia
FROM segsql_assigned AS a
JOIN segsql_scaled AS s USING (segsql_row)
GROUP BY a.raw_segment
ORDER BY a.raw_segment
