-- segsql: how many of this run's rows the previous run's model flags as outliers (farther from
-- their nearest previous centroid than that segment's p99_distance).
-- inputs:     {{ sqlglot: replay }}, the previous run's scoring query (segsql.scoring.replay)
--             over this run's feature rows
-- output:     one row: outliers, scored
SELECT count_if(is_outlier) AS outliers, count(*) AS scored
FROM ({{ sqlglot: replay }}) AS segsql_scored
