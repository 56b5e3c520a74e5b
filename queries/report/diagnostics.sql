-- segsql report: the diagnostics of the run's features (README, "Diagnostics"), one row per
-- feature, for the preprocessing table; and the correlated pairs.
-- inputs:     {{ schema }}.diagnostics
-- parameters: $run_id
-- output:     feature, other_feature (the correlated feature; NULL on a feature's own row),
--             skewness, skewness_transformed, variance_share, top_value_share, null_share,
--             correlation
SELECT feature, other_feature,
       max(value) FILTER (WHERE measure = 'skewness') AS skewness,
       max(value) FILTER (WHERE measure = 'skewness_transformed') AS skewness_transformed,
       max(value) FILTER (WHERE measure = 'variance_share') AS variance_share,
       max(value) FILTER (WHERE measure = 'top_value_share') AS top_value_share,
       max(value) FILTER (WHERE measure = 'null_share') AS null_share,
       max(value) FILTER (WHERE measure = 'correlation') AS correlation
FROM {{ schema }}.diagnostics
WHERE run_id = $run_id
GROUP BY ALL
ORDER BY ALL
