-- segsql: the size and the sum of squared distances of each assigned segment.
-- inputs:  segsql_assigned (queries/fit/assign.sql)
-- output:  raw_segment, size, inertia; one row per non-empty segment
SELECT raw_segment, count(*) AS size, sum(distance * distance) AS inertia
FROM segsql_assigned
GROUP BY raw_segment
ORDER BY raw_segment
