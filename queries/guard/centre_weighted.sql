-- segsql: a segment's centre after a merge, with sample weights ([features] weight): the weighted
--         mean of its members' scaled values, as the weighted fit's centres are.
-- inputs:     segsql_scaled (with segsql_weight); {{ labels }} (segsql_entity, segment, distance)
-- parameters: $segment
-- output:     one row: the weighted mean of each feature, in feature order
SELECT {{ columns: sum(s.segsql_weight * s.@col) / nullif(sum(s.segsql_weight), 0) AS c_@i }}
FROM segsql_scaled AS s JOIN {{ labels }} AS l USING (segsql_entity)
WHERE l.segment = $segment
