-- segsql: entities that appear more than once in the feature table (should be none).
-- inputs:  segsql_features
-- output:  segsql_entity, n (rows for it), total_duplicated (how many entities repeat);
--          the five most repeated.
SELECT segsql_entity, n, count(*) OVER () AS total_duplicated
FROM (SELECT segsql_entity, count(*) AS n FROM segsql_features GROUP BY segsql_entity HAVING count(*) > 1)
ORDER BY n DESC, segsql_entity
LIMIT 5
