-- segsql (Spark SQL): standard scaling; the Spark form of queries/preprocess/scale_standard.sql.
-- inputs:     segsql_features
-- parameters: :drop; per feature i: :impute_i, :transform_i, :low_i, :high_i
-- output:     one row; per feature i: center_i, scale_i, lo_i, hi_i, std_i
SELECT {{ columns: avg(@clean) AS center_@i, stddev_pop(@clean) AS scale_@i, min(@clean) AS lo_@i, max(@clean) AS hi_@i, stddev_pop(@clean) AS std_@i }}
FROM segsql_features
WHERE NOT :drop OR ({{ all: @col IS NOT NULL }})
