-- segsql: a segment's centre, the mean of its members' scaled values (after a merge).
-- inputs:     segsql_scaled; {{ labels }} (segsql_entity, segment, distance)
-- parameters: $segment
-- output:     one row: the mean of each feature, in feature order
SELECT {{ columns: avg(s.@col) AS c_@i }}
FROM segsql_scaled AS s JOIN {{ labels }} AS l USING (segsql_entity)
WHERE l.segment = $segment
