-- segsql diff: a run's drift against the run it was compared with.
-- inputs:     {{ schema }}.drift; {{ schema }}.scaler, for the order of the features
-- parameters: $from_run (that previous run), $to_run
-- output:     feature (NULL for a measure of the whole run), measure, value, warn; the
--             features in the run's order (psi, then mean_shift), then segment_share_psi
--             and outlier_share
SELECT d.feature, d.measure, d.value, d.warn
FROM {{ schema }}.drift AS d
LEFT JOIN {{ schema }}.scaler AS s ON s.run_id = d.run_id AND s.feature = d.feature
WHERE d.run_id = $to_run AND d.previous_run_id = $from_run
ORDER BY s.position NULLS LAST, d.feature, d.measure DESC
