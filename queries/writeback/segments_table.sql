-- segsql: the segments table, created when missing, with the entity under its own name and type.
-- inputs:  {{ labels }}, the labels the model step left (for the entity's type); {{ entity }} is [features] entity.
-- output:  TABLE {{ schema }}.segments(run_id, {{ entity }}, segment, distance)
CREATE TABLE IF NOT EXISTS {{ schema }}.segments AS
SELECT CAST(NULL AS BIGINT) AS run_id, segsql_entity AS {{ entity }},
       CAST(NULL AS INTEGER) AS segment, CAST(NULL AS DOUBLE) AS distance
FROM {{ labels }}
LIMIT 0
