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
{{ include: profiles/withheld }}
