-- segsql: one row per entity: its segment and its distance to the segment's centroid.
-- inputs:     {{ labels }}, the labels the model step left (segsql_labels)
-- parameters: $run_id
-- output:     rows appended to {{ schema }}.segments, in entity order
INSERT INTO {{ schema }}.segments BY NAME
SELECT $run_id AS run_id, segsql_entity AS {{ entity }}, segment, distance
FROM {{ labels }}
ORDER BY segsql_entity
