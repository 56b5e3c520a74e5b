-- segsql diff: entities from each segment of one run to each segment of another, computed
-- from the segments table (for two runs that did not store transitions against each other).
-- An entity in one run only has a NULL segment on the other side, so the entities of a
-- from_segment add up to its size in the from run, and of a to_segment to its size in the
-- to run; the same rows segment_transitions stores (queries/lifecycle/transitions.sql).
-- inputs:     {{ schema }}.segments, whose entity column is {{ entity }}
-- parameters: $from_run, $to_run
-- output:     from_segment, to_segment, entities, share (of the from segment; of the entities
--             new in the to run, for NULL)
WITH from_run AS (
    SELECT {{ entity }} AS segsql_entity, segment FROM {{ schema }}.segments WHERE run_id = $from_run
), to_run AS (
    SELECT {{ entity }} AS segsql_entity, segment FROM {{ schema }}.segments WHERE run_id = $to_run
), moves AS (
    SELECT f.segment AS from_segment, t.segment AS to_segment, count(*) AS entities
    FROM from_run AS f
    FULL OUTER JOIN to_run AS t ON f.segsql_entity = t.segsql_entity
    GROUP BY ALL
)
SELECT CAST(from_segment AS INTEGER) AS from_segment, CAST(to_segment AS INTEGER) AS to_segment,
       CAST(entities AS BIGINT) AS entities,
       entities / sum(entities) OVER (PARTITION BY from_segment) AS share
FROM moves
ORDER BY from_segment NULLS LAST, to_segment NULLS LAST
