-- segsql: each segment's weighted quantiles of each feature, in original units ([features] weight),
--         for the profiles' median, p25, p75, p05 and p95 (README, "Sample weights"). The definition is the one of queries/preprocess/weighted_quantiles.sql:
--         a weight counts rows, rescaled to sum to the segment's number of rows of positive
--         weight, and a quantile is linear between the values at the ranks around q·(n - 1);
--         with equal weights it is quantile_cont. NULL values and rows of weight 0 are left out.
-- inputs:     segsql_features(…, segsql_weight); segsql_labels
-- output:     TEMP TABLE segsql_profile_quantiles(segment, feature (its position), q, value);
--             q is 0.05, 0.25, 0.5, 0.75 and 0.95
CREATE OR REPLACE TEMP TABLE segsql_profile_quantiles AS
WITH segsql_values AS (
    SELECT l.segment, f.segsql_weight, {{ columns: CAST(f.@col AS DOUBLE) AS "segsql_x_@i" }}
    FROM segsql_features AS f
    JOIN segsql_labels AS l USING (segsql_entity)
    WHERE f.segsql_weight > 0
), segsql_long AS (
    UNPIVOT segsql_values ON {{ columns: "segsql_x_@i" }} INTO NAME segsql_name VALUE segsql_x
), segsql_ranked AS (
    SELECT segment, segsql_name, segsql_x,
           sum(segsql_weight) OVER (PARTITION BY segment, segsql_name ORDER BY segsql_x
                                    ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS segsql_upto,
           sum(segsql_weight) OVER (PARTITION BY segment, segsql_name) AS segsql_total,
           count(*) OVER (PARTITION BY segment, segsql_name) AS segsql_n
    FROM segsql_long
), segsql_ends AS (
    -- where each row's ranks end, counted in rows
    SELECT segment, segsql_name, segsql_x, segsql_upto * segsql_n / segsql_total AS segsql_end, segsql_n
    FROM segsql_ranked
), segsql_ranks AS (
    SELECT segment, segsql_name, segsql_x, segsql_end, q, q * (segsql_n - 1) AS h,
           floor(q * (segsql_n - 1)) AS r0, least(floor(q * (segsql_n - 1)) + 1, segsql_n - 1) AS r1
    FROM segsql_ends CROSS JOIN (SELECT unnest([0.05, 0.25, 0.5, 0.75, 0.95]) AS q)
), segsql_around AS (
    SELECT segment, segsql_name, q, any_value(h - r0) AS frac,
           coalesce(arg_min(segsql_x, segsql_end) FILTER (WHERE segsql_end > r0), max(segsql_x)) AS x0,
           coalesce(arg_min(segsql_x, segsql_end) FILTER (WHERE segsql_end > r1), max(segsql_x)) AS x1
    FROM segsql_ranks
    GROUP BY segment, segsql_name, q
)
SELECT segment, CAST(substr(segsql_name, 10) AS INTEGER) AS feature, q, x0 + frac * (x1 - x0) AS value
FROM segsql_around
ORDER BY segment, feature, q
