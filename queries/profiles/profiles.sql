-- segsql: segment profiles: each feature's distribution per segment, in original units.
-- inputs:     segsql_features (features before preprocessing); segsql_labels
-- parameters: $run_id
-- output:     rows appended to {{ schema }}.profiles: segment, feature, mean, median, std
--             (population), p25, p75, overall_mean, min, p05, p95, max (the quantiles the
--             distribution chart draws its boxes from), and
--             z = (segment mean - mean of all other rows) / overall population std,
--             NULL for a constant feature. NULL feature values are left out.
INSERT INTO {{ schema }}.profiles BY NAME
WITH long AS (
    UNPIVOT (
        SELECT l.segment, {{ columns: f.@col }}
        FROM segsql_features AS f JOIN segsql_labels AS l USING (segsql_entity)
    )
    ON {{ columns: @col }}
    INTO NAME feature VALUE value
),
per_segment AS (
    SELECT segment, feature, avg(value) AS mean, median(value) AS median,
           stddev_pop(value) AS std, quantile_cont(value, 0.25) AS p25,
           quantile_cont(value, 0.75) AS p75, min(value) AS min, quantile_cont(value, 0.05) AS p05,
           quantile_cont(value, 0.95) AS p95, max(value) AS max, sum(value) AS total, count(value) AS n
    FROM long GROUP BY segment, feature
),
overall AS (
    SELECT feature, avg(value) AS overall_mean, stddev_pop(value) AS overall_std,
           sum(value) AS total, count(value) AS n
    FROM long GROUP BY feature
)
SELECT $run_id AS run_id, s.segment, s.feature, s.mean, s.median, s.std, s.p25, s.p75,
       s.min, s.p05, s.p95, s.max, o.overall_mean,
       (s.mean - (o.total - s.total) / nullif(o.n - s.n, 0)) / nullif(o.overall_std, 0) AS z
FROM per_segment AS s JOIN overall AS o USING (feature)
ORDER BY s.segment, s.feature
