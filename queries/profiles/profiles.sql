-- segsql: segment profiles: each feature's distribution per segment, in original units, and
--         each segment's contrast with the rest in the space the model clustered.
-- inputs:     segsql_features (features before preprocessing); segsql_scaled (the model's
--             input: imputed, transformed, winsorized, scaled); segsql_labels
-- parameters: per feature i: $feature_i, its name; $min_group, the fewest members a segment
--             needs for its quantiles to be kept ([output] min_group; NULL: always kept)
-- output:     TEMP TABLE segsql_profile_stats: segment, feature, mean, median, std
--             (population), p25, p75, min, p05, p95, max (for the box plots), overall_mean,
--             z = (segment mean - mean of all other rows) / overall population std, in original
--             units (what the tables kept before z_model),
--             z_model = the same in the model's space: (segment mean of the scaled values - mean
--             of the other rows' scaled values) / overall population std of the scaled values,
--             and rest_mean, the mean of all other rows in original units (for the words'
--             ratios; not a column of the profiles table). z and z_model are NULL for a feature
--             constant in their space. NULL feature values are left out of the original-unit
--             statistics (the scaled values are imputed). A segment of fewer than $min_group
--             members has NULL median, std, p25, p75, min, p05, p95 and max.
-- Aggregated wide (one column set per feature, one quantile state per feature) and turned
-- long only at the end: no row per entity × feature is ever built.
CREATE OR REPLACE TEMP TABLE segsql_profile_stats AS
WITH joined AS (
    SELECT l.segment, {{ columns: f.@col AS v_@i, s.@col AS s_@i }}
    FROM segsql_features AS f
    JOIN segsql_labels AS l USING (segsql_entity)
    JOIN segsql_scaled AS s USING (segsql_entity)
),
per_segment AS (
    SELECT segment, count(*) AS members,
           {{ columns: avg(v_@i) AS mean_@i, stddev_pop(v_@i) AS std_@i, quantile_cont(v_@i, [0.05, 0.25, 0.5, 0.75, 0.95]) AS q_@i, min(v_@i) AS min_@i, max(v_@i) AS max_@i, sum(v_@i) AS total_@i, count(v_@i) AS n_@i, sum(s_@i) AS s_total_@i, count(s_@i) AS s_n_@i }}
    FROM joined GROUP BY segment
),
overall AS (
    SELECT {{ columns: avg(v_@i) AS o_mean_@i, stddev_pop(v_@i) AS o_std_@i, sum(v_@i) AS o_total_@i, count(v_@i) AS o_n_@i, stddev_pop(s_@i) AS o_s_std_@i, sum(s_@i) AS o_s_total_@i, count(s_@i) AS o_s_n_@i }}
    FROM joined
),
-- published only when the segment is large enough ([output] min_group): a quantile of a
-- handful of members is close to one member's value
kept AS (
    SELECT *, $min_group IS NULL OR members >= $min_group AS publish FROM per_segment
),
long AS (
    SELECT segment, publish, unnest([{{ columns: {'feature': $feature_@i, 'mean': mean_@i, 'median': q_@i[3], 'std': std_@i, 'p25': q_@i[2], 'p75': q_@i[4], 'min': min_@i, 'p05': q_@i[1], 'p95': q_@i[5], 'max': max_@i, 'overall_mean': o_mean_@i, 'rest_mean': (o_total_@i - total_@i) / nullif(o_n_@i - n_@i, 0), 'z': (mean_@i - (o_total_@i - total_@i) / nullif(o_n_@i - n_@i, 0)) / nullif(o_std_@i, 0), 'z_model': (s_total_@i / nullif(s_n_@i, 0) - (o_s_total_@i - s_total_@i) / nullif(o_s_n_@i - s_n_@i, 0)) / nullif(o_s_std_@i, 0)} }}], recursive := true)
    FROM kept, overall
)
SELECT segment, feature, mean,
       CASE WHEN publish THEN median END AS median, CASE WHEN publish THEN std END AS std,
       CASE WHEN publish THEN p25 END AS p25, CASE WHEN publish THEN p75 END AS p75,
       CASE WHEN publish THEN min END AS min, CASE WHEN publish THEN p05 END AS p05,
       CASE WHEN publish THEN p95 END AS p95, CASE WHEN publish THEN max END AS max,
       overall_mean, z, z_model, rest_mean
FROM long
ORDER BY segment, feature
