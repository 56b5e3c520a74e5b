-- segsql: the end of profiles.sql and profiles_weighted.sql, included by both (not run alone).
-- inputs:  the including query's CTEs `kept` (per segment: mean_i, std_i, min_i, max_i, the
--          quantiles q_i = [p05, p25, median, p75, p95], total_i, n_i, s_total_i, s_n_i in the
--          model's space, and `publish`) and `overall` (o_mean_i, o_std_i, o_total_i, o_n_i,
--          o_s_std_i, o_s_total_i, o_s_n_i).
-- parameters: $feature_i, each feature's name.
-- output:  one row per segment × feature: mean, quantiles and std (withheld unless `publish`,
--          [output] min_group), overall_mean, the contrast with the rest in original units (z)
--          and in the model's space (z_model), rest_mean.
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
