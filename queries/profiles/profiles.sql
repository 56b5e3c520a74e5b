-- segsql: segment profiles: each feature's distribution per segment, in original units, and
--         each segment's contrast with the rest in the space the model clustered.
-- inputs:     segsql_profile_original (queries/profiles/original.sql: per segment and feature,
--             the features before preprocessing); segsql_profile_model_space
--             (queries/profiles/model_space.sql: the segments' sums and spreads of
--             segsql_scaled, the model's input: imputed, transformed, winsorized, scaled)
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
-- Aggregated wide (one column set per feature) and turned long only at the end: no row per
-- entity × feature is ever built. The model's space is aggregated first
-- (queries/profiles/model_space.sql), then the original units (queries/profiles/original.sql:
-- all features at once, or one at a time when their exact quantiles would take much memory),
-- and the overall figures are combined here from the segments' (sums, and the population
-- variance as the segments' variances plus the spread of their means): one pass over the rows
-- for each, instead of a three-way join scanned twice (at 1,000,000 customers the step's peak
-- went from +268 MB to about +110 MB; bench/README.md, "Issue 16").
CREATE OR REPLACE TEMP TABLE segsql_profile_stats AS
WITH original AS (
    SELECT segment, any_value(members) AS members,
           {{ columns: first(mean) FILTER (WHERE i = @i) AS mean_@i, first(std) FILTER (WHERE i = @i) AS std_@i, first(q) FILTER (WHERE i = @i) AS q_@i, first(min) FILTER (WHERE i = @i) AS min_@i, first(max) FILTER (WHERE i = @i) AS max_@i, first(total) FILTER (WHERE i = @i) AS total_@i, first(n) FILTER (WHERE i = @i) AS n_@i }}
    FROM segsql_profile_original
    GROUP BY segment
),
per_segment AS (
    SELECT * FROM original JOIN segsql_profile_model_space USING (segment)
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
