-- segsql: the size of each of a run's segments.
-- inputs:     {{ segments }}, the segments table
-- parameters: $run_id
-- output:     segment, size
SELECT segment, count(*) AS size
FROM {{ segments }}
WHERE run_id = $run_id
GROUP BY ALL
ORDER BY segment
