-- segsql: how many entities each previous segment shares with each new segment.
-- inputs:     {{ segments }}, the segments table; {{ labels }}, this run's labels
--             (segsql_entity, segment: the model's numbers, 1..K)
-- parameters: $previous_run_id
-- output:     previous_segment, segment, entities: one row per pair sharing entities
SELECT p.segment AS previous_segment, l.segment, count(*) AS entities
FROM {{ segments }} AS p
JOIN {{ labels }} AS l ON p.{{ entity }} = l.segsql_entity
WHERE p.run_id = $previous_run_id
GROUP BY ALL
ORDER BY ALL
