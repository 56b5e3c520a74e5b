-- segsql: min-max scaling to [0, 1] (as scikit-learn's MinMaxScaler).
-- inputs:     segsql_features; macros from queries/preprocess/macros.sql
-- parameters: $drop; per feature i: $impute_i, $transform_i, $low_i, $high_i
-- output:     one row; per feature i: center_i (the minimum), scale_i (max - min), and the
--             spread every scaling reports: lo_i, hi_i (min and max), std_i
SELECT {{ columns: min(segsql_clean(@col, $impute_@i, $transform_@i, $low_@i, $high_@i)) AS center_@i, max(segsql_clean(@col, $impute_@i, $transform_@i, $low_@i, $high_@i)) - min(segsql_clean(@col, $impute_@i, $transform_@i, $low_@i, $high_@i)) AS scale_@i, min(segsql_clean(@col, $impute_@i, $transform_@i, $low_@i, $high_@i)) AS lo_@i, max(segsql_clean(@col, $impute_@i, $transform_@i, $low_@i, $high_@i)) AS hi_@i, stddev_pop(segsql_clean(@col, $impute_@i, $transform_@i, $low_@i, $high_@i)) AS std_@i }}
FROM segsql_features
WHERE NOT $drop OR ({{ all: @col IS NOT NULL }})
