-- segsql: the model's input: every feature imputed, transformed, clipped and scaled,
-- rows numbered in entity order.
-- inputs:     segsql_features; macros from queries/preprocess/macros.sql
-- parameters: $drop; per feature i: $impute_i, $transform_i, $low_i, $high_i, $center_i, $scale_i
-- output:     TEMP TABLE segsql_scaled(segsql_row BIGINT from 0, segsql_entity, <feature> DOUBLE …)
CREATE OR REPLACE TEMP TABLE segsql_scaled AS
SELECT row_number() OVER (ORDER BY segsql_entity) - 1 AS segsql_row,
       segsql_entity,
       {{ columns: segsql_scale(@col, $impute_@i, $transform_@i, $low_@i, $high_@i, $center_@i, $scale_@i) AS @col }}
FROM segsql_features
WHERE NOT $drop OR ({{ all: @col IS NOT NULL }})
ORDER BY segsql_row
