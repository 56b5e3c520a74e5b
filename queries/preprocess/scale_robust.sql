-- segsql: robust scaling: centre on the median, divide by the interquartile range
-- (as scikit-learn's RobustScaler; linear interpolation between order statistics).
-- inputs:     segsql_features; macros from queries/preprocess/macros.sql
-- parameters: $drop; per feature i: $impute_i, $transform_i, $low_i, $high_i
-- output:     one row; per feature i: center_i (median), scale_i (p75 - p25; 0 for a feature
--             that is not constant falls back to std_i, see segsql.steps.preprocess), and the
--             spread every scaling reports: lo_i, hi_i (min and max), std_i
SELECT {{ columns: quantile_cont(segsql_clean(@col, $impute_@i, $transform_@i, $low_@i, $high_@i), 0.5) AS center_@i, quantile_cont(segsql_clean(@col, $impute_@i, $transform_@i, $low_@i, $high_@i), 0.75) - quantile_cont(segsql_clean(@col, $impute_@i, $transform_@i, $low_@i, $high_@i), 0.25) AS scale_@i, min(segsql_clean(@col, $impute_@i, $transform_@i, $low_@i, $high_@i)) AS lo_@i, max(segsql_clean(@col, $impute_@i, $transform_@i, $low_@i, $high_@i)) AS hi_@i, stddev_pop(segsql_clean(@col, $impute_@i, $transform_@i, $low_@i, $high_@i)) AS std_@i }}
FROM segsql_features
WHERE NOT $drop OR ({{ all: @col IS NOT NULL }})
