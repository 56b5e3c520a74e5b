-- segsql: segment profiles: each feature's distribution per segment, in original units.
-- inputs:     segsql_features (features before preprocessing); segsql_labels
-- parameters: per feature i: $feature_i, its name
-- output:     TEMP TABLE segsql_profiles: segment, feature, mean, median, std
--             (population), p25, p75, min, p05, p95, max (for the box plots), overall_mean, and
--             z = (segment mean - mean of all other rows) / overall population std,
--             NULL for a constant feature. NULL feature values are left out.
-- Aggregated wide (one column set per feature, one quantile state per feature) and turned
-- long only at the end: no row per entity × feature is ever built.
CREATE OR REPLACE TEMP TABLE segsql_profiles AS
WITH joined AS (
    SELECT l.segment, {{ columns: f.@col AS v_@i }}
    FROM segsql_features AS f JOIN segsql_labels AS l USING (segsql_entity)
),
per_segment AS (
    SELECT segment,
           {{ columns: avg(v_@i) AS mean_@i, stddev_pop(v_@i) AS std_@i, quantile_cont(v_@i, [0.05, 0.25, 0.5, 0.75, 0.95]) AS q_@i, min(v_@i) AS min_@i, max(v_@i) AS max_@i, sum(v_@i) AS total_@i, count(v_@i) AS n_@i }}
    FROM joined GROUP BY segment
),
overall AS (
    SELECT {{ columns: avg(v_@i) AS o_mean_@i, stddev_pop(v_@i) AS o_std_@i, sum(v_@i) AS o_total_@i, count(v_@i) AS o_n_@i }}
    FROM joined
),
long AS (
    SELECT segment, unnest([{{ columns: {'feature': $feature_@i, 'mean': mean_@i, 'median': q_@i[3], 'std': std_@i, 'p25': q_@i[2], 'p75': q_@i[4], 'min': min_@i, 'p05': q_@i[1], 'p95': q_@i[5], 'max': max_@i, 'overall_mean': o_mean_@i, 'z': (mean_@i - (o_total_@i - total_@i) / nullif(o_n_@i - n_@i, 0)) / nullif(o_std_@i, 0)} }}], recursive := true)
    FROM per_segment, overall
)
SELECT segment, feature, mean, median, std, p25, p75, min, p05, p95, max,
       overall_mean, z
FROM long
ORDER BY segment, feature
