-- segsql diff: the segments of two runs, to name the segments a diff shows.
-- inputs:     {{ schema }}.segment_summary
-- parameters: $from_run, $to_run
-- output:     run_id, segment, name, size
SELECT run_id, segment, name, size
FROM {{ schema }}.segment_summary
WHERE run_id IN ($from_run, $to_run)
