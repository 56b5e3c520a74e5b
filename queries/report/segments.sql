-- segsql report: one card per segment: size, share, name, description, recommendation.
-- inputs:     {{ schema }}.segment_summary
-- parameters: $run_id
-- output:     segment, name, size, share, description, recommendation
SELECT segment, name, size, share, description, recommendation
FROM {{ schema }}.segment_summary
WHERE run_id = $run_id
ORDER BY segment
