-- segsql: entities from each previous segment to each new segment, for segment_transitions.
-- An entity in one run only has a NULL segment on the other side, so the entities of a
-- from_segment add up to its size in the previous run, and of a to_segment to its size now.
-- inputs:     {{ segments }}, the segments table; {{ labels }}, this run's labels (renumbered)
-- parameters: $previous_run_id
-- output:     TEMP TABLE segsql_segment_transitions(from_run, to_run, from_segment,
--             to_segment, entities, share): to_run is filled by the write-back (the run's id);
--             share is of the from segment (of the entities new in this run, for NULL)
CREATE OR REPLACE TEMP TABLE segsql_segment_transitions AS
WITH previous AS (
    SELECT {{ entity }} AS segsql_entity, segment FROM {{ segments }} WHERE run_id = $previous_run_id
), moves AS (
    SELECT p.segment AS from_segment, l.segment AS to_segment, count(*) AS entities
    FROM previous AS p
    FULL OUTER JOIN {{ labels }} AS l ON p.segsql_entity = l.segsql_entity
    GROUP BY ALL
)
SELECT CAST($previous_run_id AS BIGINT) AS from_run, CAST(NULL AS BIGINT) AS to_run,
       CAST(from_segment AS INTEGER) AS from_segment, CAST(to_segment AS INTEGER) AS to_segment,
       entities, entities / sum(entities) OVER (PARTITION BY from_segment) AS share
FROM moves
ORDER BY from_segment NULLS LAST, to_segment NULLS LAST
