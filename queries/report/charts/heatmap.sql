-- segsql chart: the profile heatmap: segment × feature, coloured by the contrast in the model's
-- space, labelled with the mean in original units.
-- inputs:     {{ schema }}.profiles, {{ schema }}.segment_summary, {{ schema }}.scaler (order)
-- parameters: $run_id
-- output:     segment, label, feature, position (config order), mean, overall_mean, z (raw
--             units), z_model (the model's space; a run from before z_model: its z);
--             one row per segment × feature
SELECT p.segment, concat(p.segment, ' · ', s.name) AS label, p.feature, c.position,
       p.mean, p.overall_mean, p.z, coalesce(p.z_model, p.z) AS z_model
FROM {{ schema }}.profiles AS p
JOIN {{ schema }}.segment_summary AS s ON s.run_id = p.run_id AND s.segment = p.segment
JOIN {{ schema }}.scaler AS c ON c.run_id = p.run_id AND c.feature = p.feature
WHERE p.run_id = $run_id
ORDER BY p.segment, c.position
