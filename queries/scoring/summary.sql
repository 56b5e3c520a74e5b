-- segsql: how the scored rows fall into segments, for the summary `segsql score` prints.
-- inputs:  segsql_scored
-- output:  segment, segment_name, rows, outliers, in segment order
SELECT segment, any_value(segment_name) AS segment_name, count(*) AS rows,
       count(*) FILTER (WHERE is_outlier) AS outliers
FROM segsql_scored
GROUP BY segment
ORDER BY segment
