-- segsql chart: segment sizes and shares.
-- inputs:     {{ schema }}.segment_summary
-- parameters: $run_id
-- output:     segment, label ("<segment> · <name>"), size, share; one row per segment
SELECT segment, concat(segment, ' · ', name) AS label, size, share
FROM {{ schema }}.segment_summary
WHERE run_id = $run_id
ORDER BY segment
