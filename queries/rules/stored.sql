-- segsql: a run's segment rules as stored, for `segsql export-sql --rules`.
-- inputs:     {{ schema }}.segment_rules
-- parameters: $run_id
-- output:     segment, rule_sql; in segment order
SELECT segment, rule_sql
FROM {{ schema }}.segment_rules
WHERE run_id = $run_id
ORDER BY segment
