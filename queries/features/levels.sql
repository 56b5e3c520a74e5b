-- segsql: the levels of one categorical feature column, compared as text, and how many rows have each.
-- inputs:  segsql_user_features; {{ column }}, a column named in [features] categorical
-- output:  level VARCHAR (NULL for the rows without one), n BIGINT; by descending n, then level
--          (segsql.steps.features keeps the levels of at least [features] min_level_share of the
--          rows, in this order; the rest, NULL included, are the "(other)" group)
SELECT CAST({{ column }} AS VARCHAR) AS level, count(*) AS n
FROM segsql_user_features
GROUP BY level
ORDER BY n DESC, level NULLS LAST
