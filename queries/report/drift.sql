-- segsql report: the run's drift against its previous run, for the drift table.
-- inputs:     {{ schema }}.drift, {{ schema }}.runs (previous_run_id), {{ schema }}.scaler
--             (the order of the features)
-- parameters: $run_id
-- output:     measure, feature (NULL for a measure of the whole run), value, warn; the
--             features in the run's order (psi, then mean_shift), then segment_share_psi
--             and outlier_share
SELECT d.measure, d.feature, d.value, d.warn
FROM {{ schema }}.drift AS d
JOIN {{ schema }}.runs AS r ON r.run_id = d.run_id AND r.previous_run_id = d.previous_run_id
LEFT JOIN {{ schema }}.scaler AS s ON s.run_id = d.run_id AND s.feature = d.feature
WHERE d.run_id = $run_id
ORDER BY s.position NULLS LAST, d.feature, d.measure DESC
