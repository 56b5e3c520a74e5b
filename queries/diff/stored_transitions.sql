-- segsql diff: the transitions a run stored against the run it was compared with.
-- inputs:     {{ schema }}.segment_transitions
-- parameters: $from_run, $to_run
-- output:     from_segment, to_segment (NULL: the entity is not in that run), entities,
--             share (of the from segment)
SELECT from_segment, to_segment, entities, share
FROM {{ schema }}.segment_transitions
WHERE run_id = $to_run AND from_run = $from_run
ORDER BY from_segment NULLS LAST, to_segment NULLS LAST
