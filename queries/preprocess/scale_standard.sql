-- segsql: standard scaling: centre on the mean, divide by the population standard deviation
-- (as scikit-learn's StandardScaler).
-- inputs:     segsql_features; macros from queries/preprocess/macros.sql
-- parameters: $drop; per feature i: $impute_i, $transform_i, $low_i, $high_i
-- output:     one row; per feature i: center_i, scale_i (scale 0 or NULL = constant feature)
SELECT {{ columns: avg(segsql_clean(@col, $impute_@i, $transform_@i, $low_@i, $high_@i)) AS center_@i, stddev_pop(segsql_clean(@col, $impute_@i, $transform_@i, $low_@i, $high_@i)) AS scale_@i }}
FROM segsql_features
WHERE NOT $drop OR ({{ all: @col IS NOT NULL }})
