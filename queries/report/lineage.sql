-- segsql report: the lineage events of the run's segments against its previous run.
-- inputs:     {{ schema }}.segment_lineage, {{ schema }}.runs (previous_run_id),
--             {{ schema }}.segment_summary (the names in each run)
-- parameters: $run_id
-- output:     segment (NULL: a previous segment that ended), label ("<segment> · <name>"),
--             event, previous_segment (NULL: new), previous_label (its name in the previous
--             run), centroid_shift, members_kept; this run's segments first, by number
SELECT l.segment,
       CASE WHEN l.segment IS NOT NULL THEN concat_ws(' · ', l.segment, n.name) END AS label,
       l.event, l.previous_segment,
       CASE WHEN l.previous_segment IS NOT NULL THEN concat_ws(' · ', l.previous_segment, p.name) END
           AS previous_label,
       l.centroid_shift, l.members_kept
FROM {{ schema }}.segment_lineage AS l
JOIN {{ schema }}.runs AS r ON r.run_id = l.run_id AND r.previous_run_id = l.previous_run_id
LEFT JOIN {{ schema }}.segment_summary AS n ON n.run_id = l.run_id AND n.segment = l.segment
LEFT JOIN {{ schema }}.segment_summary AS p
    ON p.run_id = l.previous_run_id AND p.segment = l.previous_segment
WHERE l.run_id = $run_id
ORDER BY l.segment NULLS LAST, l.previous_segment NULLS LAST
