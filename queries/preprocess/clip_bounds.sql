-- segsql: winsorizing bounds: quantiles of each feature after impute and transform.
-- inputs:     segsql_features; macros from queries/preprocess/macros.sql
-- parameters: $low, $high       the quantiles ([preprocess] winsorize)
--             $drop             true when rows with a NULL feature are dropped
--             per feature i: $impute_i, $transform_i
-- output:     one row; per feature i: low_i, high_i, and min_i, max_i (the values before
--             clipping: equal bounds on a feature that varies clip it to one value)
SELECT {{ columns: quantile_cont(segsql_clean(@col, $impute_@i, $transform_@i, NULL, NULL), $low) AS low_@i, quantile_cont(segsql_clean(@col, $impute_@i, $transform_@i, NULL, NULL), $high) AS high_@i, min(segsql_clean(@col, $impute_@i, $transform_@i, NULL, NULL)) AS min_@i, max(segsql_clean(@col, $impute_@i, $transform_@i, NULL, NULL)) AS max_@i }}
FROM segsql_features
WHERE NOT $drop OR ({{ all: @col IS NOT NULL }})
