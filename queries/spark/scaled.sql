-- segsql (Spark SQL): the model's input, rows numbered in entity order; the Spark form of
-- queries/preprocess/scaled.sql (the same row numbers: the sample is drawn by them).
-- inputs:     segsql_features
-- parameters: :drop; per feature i: :impute_i, :transform_i, :low_i, :high_i, :center_i, :scale_i
-- output:     rows (segsql_row BIGINT from 0, segsql_entity, <feature> DOUBLE …)
SELECT row_number() OVER (ORDER BY segsql_entity) - 1 AS segsql_row,
       segsql_entity,
       {{ columns: (@clean - :center_@i) / :scale_@i AS @col }}
FROM segsql_features
WHERE NOT :drop OR ({{ all: @col IS NOT NULL }})
