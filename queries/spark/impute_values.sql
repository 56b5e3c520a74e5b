-- segsql (Spark SQL): what each feature's NULLs are replaced with, and each feature's range;
-- the Spark form of queries/preprocess/impute_values.sql (percentile = quantile_cont).
-- inputs:     segsql_features
-- parameters: :impute ('error' | 'mean' | 'median' | 'zero' | 'drop'); :drop
-- output:     one row; per feature i: impute_i, min_i, max_i; n_rows
SELECT {{ columns: CASE :impute WHEN 'mean' THEN avg(@col) WHEN 'median' THEN percentile(@col, 0.5) WHEN 'zero' THEN 0.0D END AS impute_@i, min(@col) AS min_@i, max(@col) AS max_@i }},
       count(*) AS n_rows
FROM segsql_features
WHERE NOT :drop OR ({{ all: @col IS NOT NULL }})
