-- segsql (Spark SQL): winsorizing bounds; the Spark form of queries/preprocess/clip_bounds.sql.
-- inputs:     segsql_features
-- parameters: :low, :high (the quantiles); :drop; per feature i: :impute_i, :transform_i
-- output:     one row; per feature i: low_i, high_i, min_i, max_i (before clipping)
SELECT {{ columns: percentile(@unclipped, :low) AS low_@i, percentile(@unclipped, :high) AS high_@i, min(@unclipped) AS min_@i, max(@unclipped) AS max_@i }}
FROM segsql_features
WHERE NOT :drop OR ({{ all: @col IS NOT NULL }})
