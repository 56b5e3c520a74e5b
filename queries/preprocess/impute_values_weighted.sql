-- segsql: what each feature's NULLs are replaced with, weighted by [features] weight (mean:
-- the weighted mean of the values there are; median: segsql.steps.preprocess takes the
-- weighted median from queries/preprocess/weighted_quantiles.sql), and each feature's range.
-- inputs:     segsql_features(…, segsql_weight)
-- parameters: $impute  'error' | 'mean' | 'median' | 'zero' | 'drop'
--             $drop    true when rows with a NULL feature are dropped
-- output:     one row; per feature i: impute_i (NULL for error/drop/median), min_i, max_i; n_rows
SELECT {{ columns: CASE $impute WHEN 'mean' THEN sum(segsql_weight * @col) / sum(segsql_weight) FILTER (WHERE @col IS NOT NULL) WHEN 'zero' THEN 0.0 END AS impute_@i, min(@col) AS min_@i, max(@col) AS max_@i }},
       count(*) AS n_rows
FROM segsql_features
WHERE NOT $drop OR ({{ all: @col IS NOT NULL }})
