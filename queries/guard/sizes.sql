-- segsql: each segment's number of entities, for [segments] min_size.
-- inputs:  {{ labels }} (segsql_entity, segment, distance)
-- output:  segment, size; in segment order
SELECT segment, count(*) AS size
FROM {{ labels }}
GROUP BY segment
ORDER BY segment
