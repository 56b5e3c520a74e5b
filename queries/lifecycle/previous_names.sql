-- segsql: the names the previous run gave its segments, for a continuing segment to keep.
-- inputs:     {{ summary }}, the segment_summary table
-- parameters: $run_id, the previous run
-- output:     segment, name
SELECT segment, name
FROM {{ summary }}
WHERE run_id = $run_id
ORDER BY segment
