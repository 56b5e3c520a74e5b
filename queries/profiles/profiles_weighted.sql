-- segsql: segment profiles with sample weights ([features] weight): queries/profiles/profiles.sql
--         with every mean, standard deviation and contrast weighted (README, "Sample weights").
-- inputs:     segsql_features (features before preprocessing, and segsql_weight); segsql_scaled
--             (the model's input); segsql_labels; segsql_profile_quantiles
--             (queries/profiles/weighted_quantiles.sql)
-- parameters: per feature i: $feature_i, its name; $min_group, the fewest members (entities, not
--             weight) a segment needs for its quantiles to be kept ([output] min_group)
-- output:     TEMP TABLE segsql_profile_stats, the columns of queries/profiles/profiles.sql:
--             mean, std (population), overall_mean, rest_mean, z, z_model and the quantiles
--             (median, p25, p75, p05, p95) are weighted (a row counts its weight); min and max
--             are the members' own. NULL feature values are left out, with their weights. The standard deviations are taken about the
--             weighted means (a second pass over the rows: no sum of squares minus a square).
CREATE OR REPLACE TEMP TABLE segsql_profile_stats AS
WITH joined AS (
    SELECT l.segment, f.segsql_weight AS w, {{ columns: f.@col AS v_@i, s.@col AS s_@i }}
    FROM segsql_features AS f
    JOIN segsql_labels AS l USING (segsql_entity)
    JOIN segsql_scaled AS s USING (segsql_entity)
),
per_segment AS (
    SELECT segment, count(*) AS members, sum(w) AS weight,
           {{ columns: sum(w * v_@i) / nullif(sum(CASE WHEN v_@i IS NOT NULL THEN w END), 0) AS mean_@i, min(v_@i) AS min_@i, max(v_@i) AS max_@i, sum(w * v_@i) AS total_@i, sum(CASE WHEN v_@i IS NOT NULL THEN w END) AS n_@i, sum(w * s_@i) AS s_total_@i, sum(w * s_@i) / nullif(sum(w), 0) AS s_mean_@i }}
    FROM joined GROUP BY segment
),
-- each segment's weighted sums of squares about its own means (the second pass)
spread AS (
    SELECT j.segment, {{ columns: sum(j.w * (j.v_@i - p.mean_@i) * (j.v_@i - p.mean_@i)) AS ss_@i, sum(j.w * (j.s_@i - p.s_mean_@i) * (j.s_@i - p.s_mean_@i)) AS s_ss_@i }}
    FROM joined AS j JOIN per_segment AS p USING (segment)
    GROUP BY j.segment
),
totals AS (
    SELECT sum(weight) AS o_weight, {{ columns: sum(total_@i) AS o_total_@i, sum(n_@i) AS o_n_@i, sum(s_total_@i) AS o_s_total_@i }}
    FROM per_segment
),
-- the overall sums of squares from the segments' (within plus between: exact)
overall_ss AS (
    SELECT {{ columns: sum(coalesce(s.ss_@i, 0) + coalesce(p.n_@i, 0) * coalesce(p.mean_@i - t.o_total_@i / nullif(t.o_n_@i, 0), 0) ** 2) AS o_ss_@i, sum(s.s_ss_@i + p.weight * (p.s_mean_@i - t.o_s_total_@i / nullif(t.o_weight, 0)) ** 2) AS o_s_ss_@i }}
    FROM per_segment AS p JOIN spread AS s USING (segment) CROSS JOIN totals AS t
),
overall AS (
    SELECT {{ columns: o_total_@i / nullif(o_n_@i, 0) AS o_mean_@i, sqrt(greatest(o_ss_@i / nullif(o_n_@i, 0), 0)) AS o_std_@i, o_total_@i, o_n_@i, sqrt(greatest(o_s_ss_@i / nullif(o_weight, 0), 0)) AS o_s_std_@i, o_s_total_@i, o_weight AS o_s_n_@i }}
    FROM totals CROSS JOIN overall_ss
),
-- the weighted quantiles, as one list per feature (q ascending), as quantile_cont would give
quantiles AS (
    SELECT segment, {{ columns: list(value ORDER BY q) FILTER (WHERE feature = @i) AS q_@i }}
    FROM segsql_profile_quantiles
    GROUP BY segment
),
kept AS (
    SELECT p.*, q.* EXCLUDE (segment), $min_group IS NULL OR p.members >= $min_group AS publish,
           {{ columns: sqrt(s.ss_@i / nullif(p.n_@i, 0)) AS std_@i }}, {{ columns: p.weight AS s_n_@i }}
    FROM per_segment AS p JOIN spread AS s USING (segment) LEFT JOIN quantiles AS q USING (segment)
),
{{ include: profiles/withheld }}
