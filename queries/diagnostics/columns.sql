-- segsql: diagnostics before fitting, per feature, on its raw values (README, "Diagnostics").
-- inputs:     {{ source }}, a relation holding the feature columns (segsql_features in a run, the
--             data file in `segsql init`); macros from queries/preprocess/macros.sql
-- parameters: per feature i: $transform_i ('log1p' | 'sqrt' | 'none')
-- output:     one row: n_rows, and per feature i: nulls_i (NULL values), distinct_i (distinct
--             non-NULL values), top_i (rows holding its most frequent non-NULL value), min_i,
--             skew_i (sample skewness of the raw values, NULL under 3 values or no spread),
--             skew_t_i (the same after the configured transform, over the values it can take)
-- A feature's distinct values and its most frequent value's rows come from one GROUP BY of
-- its own (count(DISTINCT) beside a second grouping for the top took twice as long).
-- Skewness is taken of the values divided by their largest magnitude (it does not change the
-- skewness, and keeps the cubes finite for values near the limits of a double).
WITH segsql_diagnosed AS (SELECT * FROM {{ source }}),
segsql_valid AS (
    SELECT *, {{ columns: CASE WHEN $transform_@i = 'none' OR (@col::DOUBLE > -1 AND $transform_@i = 'log1p') OR (@col::DOUBLE >= 0 AND $transform_@i = 'sqrt') THEN segsql_transform(@col::DOUBLE, $transform_@i) END AS segsql_t_@i }}
    FROM segsql_diagnosed
),
segsql_magnitude AS (
    SELECT {{ columns: nullif(max(abs(@col::DOUBLE)), 0) AS segsql_m_@i, nullif(max(abs(segsql_t_@i)), 0) AS segsql_mt_@i }}
    FROM segsql_valid
),
{{ columns: segsql_groups_@i AS (SELECT count(*) AS distinct_@i, max(segsql_n) AS top_@i FROM (SELECT count(*) AS segsql_n FROM segsql_diagnosed WHERE @col IS NOT NULL GROUP BY @col)) }},
segsql_measures AS (
    SELECT count(*) AS n_rows,
           {{ columns: count(*) - count(@col) AS nulls_@i, min(@col::DOUBLE) AS min_@i, skewness(@col::DOUBLE / segsql_m_@i) AS skew_@i, skewness(segsql_t_@i / segsql_mt_@i) AS skew_t_@i }}
    FROM segsql_valid, segsql_magnitude
)
SELECT n_rows, {{ columns: nulls_@i, distinct_@i, top_@i, min_@i, skew_@i, skew_t_@i }}
FROM segsql_measures, {{ columns: segsql_groups_@i }}
