-- segsql report: each segment's SQL rule and how well it matches the segment (README, "Segment rules").
-- inputs:     {{ schema }}.segment_rules
-- parameters: $run_id
-- output:     segment, rule_sql, fidelity, precision; in segment order
SELECT segment, rule_sql, fidelity, precision
FROM {{ schema }}.segment_rules
WHERE run_id = $run_id
ORDER BY segment
