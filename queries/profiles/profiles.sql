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
-- long only at the end: no row per entity × feature is ever built. The original units and the
-- model's space are aggregated by two joins, one after the other, and the overall figures are
-- combined from the segments' (sums, and the population variance as the segments' variances
-- plus the spread of their means): one pass over the rows, and the peak memory of the larger
-- join alone (at 1,000,000 rows: +104 MB against +250 MB for one three-way join scanned twice;
-- bench/README.md, "Memory").
CREATE OR REPLACE TEMP TABLE segsql_profile_stats AS
WITH original AS (
    SELECT l.segment, count(*) AS members,
           {{ columns: avg(f.@col) AS mean_@i, stddev_pop(f.@col) AS std_@i, quantile_cont(f.@col, [0.05, 0.25, 0.5, 0.75, 0.95]) AS q_@i, min(f.@col) AS min_@i, max(f.@col) AS max_@i, sum(f.@col) AS total_@i, count(f.@col) AS n_@i }}
    FROM segsql_features AS f
    JOIN segsql_labels AS l USING (segsql_entity)
    GROUP BY l.segment
),
model_space AS (
    SELECT l.segment, {{ columns: sum(s.@col) AS s_total_@i, count(s.@col) AS s_n_@i, stddev_pop(s.@col) AS s_std_@i }}
    FROM segsql_scaled AS s
    JOIN segsql_labels AS l USING (segsql_entity)
    GROUP BY l.segment
),
per_segment AS (
    SELECT * FROM original JOIN model_space USING (segment)
),
sums AS (
    SELECT {{ columns: sum(total_@i) AS o_total_@i, sum(n_@i) AS o_n_@i, sum(total_@i) / nullif(sum(n_@i), 0) AS o_mean_@i, sum(s_total_@i) AS o_s_total_@i, sum(s_n_@i) AS o_s_n_@i, sum(s_total_@i) / nullif(sum(s_n_@i), 0) AS o_s_mean_@i }}
    FROM per_segment
),
overall AS (
    SELECT {{ columns: any_value(o_mean_@i) AS o_mean_@i, sqrt(sum(n_@i * (std_@i * std_@i + (mean_@i - o_mean_@i) * (mean_@i - o_mean_@i))) / nullif(any_value(o_n_@i), 0)) AS o_std_@i, any_value(o_total_@i) AS o_total_@i, any_value(o_n_@i) AS o_n_@i, sqrt(sum(s_n_@i * (s_std_@i * s_std_@i + (s_total_@i / nullif(s_n_@i, 0) - o_s_mean_@i) * (s_total_@i / nullif(s_n_@i, 0) - o_s_mean_@i))) / nullif(any_value(o_s_n_@i), 0)) AS o_s_std_@i, any_value(o_s_total_@i) AS o_s_total_@i, any_value(o_s_n_@i) AS o_s_n_@i }}
    FROM per_segment, sums
),
-- published only when the segment is large enough ([output] min_group): a quantile of a
-- handful of members is close to one member's value
kept AS (
    SELECT *, $min_group IS NULL OR members >= $min_group AS publish FROM per_segment
),
{{ include: profiles/withheld }}
