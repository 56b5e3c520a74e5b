-- segsql: the highest segment number any run in the schema has used (0 when none).
-- inputs:     {{ summary }}, the segment_summary table (it exists: the caller checked)
-- output:     one row: last_number
SELECT coalesce(max(segment), 0) AS last_number
FROM {{ summary }}
