-- segsql: weighted quantiles of each feature ([features] weight; README, "Categorical features
-- and weights"), for robust scaling, winsorizing and median imputation.
-- The definition: a weight counts rows. Over the rows of positive weight (n of them, total
-- weight W), sorted by value, a row of weight w covers the ranks [c - w, c)·n/W, where c is
-- the cumulative weight up to it (the weights rescaled to sum to n, so that multiplying every
-- weight by a constant changes nothing). The value at rank r is the row covering r, and the
-- quantile q is linear between the values at ranks floor(h) and floor(h) + 1, h = q·(n - 1):
-- with equal weights this is exactly quantile_cont (linear interpolation between order
-- statistics, as numpy's default and scikit-learn's RobustScaler).
-- inputs:     segsql_features(…, segsql_weight); macros from queries/preprocess/macros.sql
-- parameters: $qs (DOUBLE[], the quantiles); $drop; per feature i: $impute_i, $transform_i,
--             $low_i, $high_i
-- output:     one row per feature and quantile: feature (i, its position), q, value
WITH segsql_values AS (
    SELECT segsql_weight,
           {{ columns: segsql_clean(@col, $impute_@i, $transform_@i, $low_@i, $high_@i) AS "segsql_x_@i" }}
    FROM segsql_features
    WHERE segsql_weight > 0 AND (NOT $drop OR ({{ all: @col IS NOT NULL }}))
), segsql_long AS (
    UNPIVOT segsql_values ON {{ columns: "segsql_x_@i" }} INTO NAME segsql_name VALUE segsql_x
), segsql_ranked AS (
    SELECT segsql_name, segsql_x,
           sum(segsql_weight) OVER (PARTITION BY segsql_name ORDER BY segsql_x
                                    ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS segsql_upto,
           sum(segsql_weight) OVER (PARTITION BY segsql_name) AS segsql_total,
           count(*) OVER (PARTITION BY segsql_name) AS segsql_n
    FROM segsql_long
), segsql_ends AS (
    -- where each row's ranks end, counted in rows
    SELECT segsql_name, segsql_x, segsql_upto * segsql_n / segsql_total AS segsql_end, segsql_n
    FROM segsql_ranked
), segsql_ranks AS (
    SELECT segsql_name, segsql_x, segsql_end, q, q * (segsql_n - 1) AS h,
           floor(q * (segsql_n - 1)) AS r0, least(floor(q * (segsql_n - 1)) + 1, segsql_n - 1) AS r1
    FROM segsql_ends CROSS JOIN (SELECT unnest(CAST($qs AS DOUBLE[])) AS q)
), segsql_around AS (
    SELECT segsql_name, q, any_value(h - r0) AS frac,
           coalesce(arg_min(segsql_x, segsql_end) FILTER (WHERE segsql_end > r0), max(segsql_x)) AS x0,
           coalesce(arg_min(segsql_x, segsql_end) FILTER (WHERE segsql_end > r1), max(segsql_x)) AS x1
    FROM segsql_ranks
    GROUP BY segsql_name, q
)
SELECT CAST(substr(segsql_name, 10) AS INTEGER) AS feature, q, x0 + frac * (x1 - x0) AS value
FROM segsql_around
ORDER BY feature, q
