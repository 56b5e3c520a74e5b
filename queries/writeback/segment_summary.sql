-- segsql: a run's segment summary (sizes, shares, names, words, p99 distances), saved.
-- inputs:     segsql_segment_summary (queries/profiles/summary.sql)
-- parameters: $run_id
-- output:     rows appended to {{ schema }}.segment_summary, in segment order
INSERT INTO {{ schema }}.segment_summary BY NAME
SELECT $run_id AS run_id, *
FROM segsql_segment_summary
ORDER BY segment
