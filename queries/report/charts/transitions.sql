-- segsql chart: transitions: entities from each segment of the run's previous run to each
--            segment of the run, as the run stored them against its previous_run_id.
-- inputs:     {{ schema }}.segment_transitions, {{ schema }}.runs (previous_run_id),
--             {{ schema }}.segment_summary (the names in each run)
-- parameters: $run_id
-- output:     from_segment, to_segment (NULL: the entity is in one run only), from_label
--             ("<segment> · <name>" in the previous run, 'new' for NULL), to_label (in this
--             run, 'gone' for NULL), entities, share (of the from segment; of the new entities
--             for 'new'); one row per stored from × to pair, none for a first run
SELECT t.from_segment, t.to_segment,
       CASE WHEN t.from_segment IS NULL THEN 'new' ELSE concat_ws(' · ', t.from_segment, f.name) END
           AS from_label,
       CASE WHEN t.to_segment IS NULL THEN 'gone' ELSE concat_ws(' · ', t.to_segment, n.name) END
           AS to_label,
       t.entities, t.share
FROM {{ schema }}.segment_transitions AS t
JOIN {{ schema }}.runs AS r ON r.run_id = t.run_id AND r.previous_run_id = t.from_run
LEFT JOIN {{ schema }}.segment_summary AS f ON f.run_id = t.from_run AND f.segment = t.from_segment
LEFT JOIN {{ schema }}.segment_summary AS n ON n.run_id = t.to_run AND n.segment = t.to_segment
WHERE t.run_id = $run_id
ORDER BY t.from_segment NULLS LAST, t.to_segment NULLS LAST
