-- segsql: each segment against the rest, per feature: what names and recommendations read.
-- inputs:     {{ schema }}.profiles, {{ schema }}.scaler (for the features' config order)
-- parameters: $run_id
-- output:     segment, feature, mean, overall_mean, z; by segment, then feature in config order
SELECT p.segment, p.feature, p.mean, p.overall_mean, p.z
FROM {{ schema }}.profiles AS p
JOIN {{ schema }}.scaler AS s ON s.run_id = p.run_id AND s.feature = p.feature
WHERE p.run_id = $run_id
ORDER BY p.segment, s.position
