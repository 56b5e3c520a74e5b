-- segsql: the model's input with each row's sample weight ([features] weight): as
-- queries/preprocess/scaled.sql, plus segsql_weight (not a feature).
-- inputs:     segsql_features(…, segsql_weight); macros from queries/preprocess/macros.sql
-- parameters: $drop; per feature i: $impute_i, $transform_i, $low_i, $high_i, $center_i, $scale_i
-- output:     TEMP TABLE segsql_scaled(segsql_row BIGINT from 0, segsql_entity, <feature> DOUBLE …,
--             segsql_weight DOUBLE)
CREATE OR REPLACE TEMP TABLE segsql_scaled AS
SELECT row_number() OVER (ORDER BY segsql_entity) - 1 AS segsql_row,
       segsql_entity,
       {{ columns: segsql_scale(@col, $impute_@i, $transform_@i, $low_@i, $high_@i, $center_@i, $scale_@i) AS @col }},
       segsql_weight
FROM segsql_features
WHERE NOT $drop OR ({{ all: @col IS NOT NULL }})
ORDER BY segsql_row
