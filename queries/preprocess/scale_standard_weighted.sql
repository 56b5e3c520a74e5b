-- segsql: standard scaling with sample weights ([features] weight): centre on the weighted mean,
-- divide by the weighted population standard deviation (as numpy's average(x, weights=w) and
-- sqrt(average((x - mean)², weights=w)); scikit-learn's StandardScaler with sample_weight).
-- inputs:     segsql_features(…, segsql_weight); macros from queries/preprocess/macros.sql
-- parameters: $drop; per feature i: $impute_i, $transform_i, $low_i, $high_i
-- output:     one row; per feature i: center_i, scale_i, and the spread every scaling reports:
--             lo_i, hi_i (min and max over every row kept), std_i (weighted, = scale_i)
WITH segsql_values AS (
    SELECT segsql_weight,
           {{ columns: segsql_clean(@col, $impute_@i, $transform_@i, $low_@i, $high_@i) AS "segsql_x_@i" }}
    FROM segsql_features
    WHERE NOT $drop OR ({{ all: @col IS NOT NULL }})
), segsql_means AS (
    SELECT {{ columns: sum(segsql_weight * "segsql_x_@i") / sum(segsql_weight) AS "segsql_m_@i" }}
    FROM segsql_values
)
SELECT {{ columns: any_value("segsql_m_@i") AS center_@i, sqrt(sum(segsql_weight * ("segsql_x_@i" - "segsql_m_@i") * ("segsql_x_@i" - "segsql_m_@i")) / sum(segsql_weight)) AS scale_@i, min("segsql_x_@i") AS lo_@i, max("segsql_x_@i") AS hi_@i, sqrt(sum(segsql_weight * ("segsql_x_@i" - "segsql_m_@i") * ("segsql_x_@i" - "segsql_m_@i")) / sum(segsql_weight)) AS std_@i }}
FROM segsql_values CROSS JOIN segsql_means
