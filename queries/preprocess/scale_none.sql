-- segsql: no scaling: centre 0, scale 1 for every feature.
-- inputs:     segsql_features; macros from queries/preprocess/macros.sql
-- parameters: $drop; per feature i: $impute_i, $transform_i, $low_i, $high_i
-- output:     one row; per feature i: center_i = 0, scale_i = 1, and the spread every scaling
--             reports (a constant feature is reported under every scaling): lo_i, hi_i, std_i
SELECT {{ columns: 0.0 AS center_@i, 1.0 AS scale_@i, min(segsql_clean(@col, $impute_@i, $transform_@i, $low_@i, $high_@i)) AS lo_@i, max(segsql_clean(@col, $impute_@i, $transform_@i, $low_@i, $high_@i)) AS hi_@i, stddev_pop(segsql_clean(@col, $impute_@i, $transform_@i, $low_@i, $high_@i)) AS std_@i }}
FROM segsql_features
WHERE NOT $drop OR ({{ all: @col IS NOT NULL }})
