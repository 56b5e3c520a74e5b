-- segsql diff: how a run's segments relate to those of the run it was compared with.
-- inputs:     {{ schema }}.segment_lineage
-- parameters: $from_run (that previous run), $to_run
-- output:     segment (NULL: a previous segment that ended), previous_segment (NULL: new),
--             event, centroid_shift, members_kept
SELECT segment, previous_segment, event, centroid_shift, members_kept
FROM {{ schema }}.segment_lineage
WHERE run_id = $to_run AND previous_run_id = $from_run
ORDER BY segment NULLS LAST, previous_segment NULLS LAST
