-- segsql report: the preprocessing of each feature in a run, in config order.
-- inputs:     {{ schema }}.scaler
-- parameters: $run_id
-- output:     feature, transform, impute_value, clip_low, clip_high, center, scale
SELECT feature, transform, impute_value, clip_low, clip_high, center, scale
FROM {{ schema }}.scaler
WHERE run_id = $run_id
ORDER BY position
