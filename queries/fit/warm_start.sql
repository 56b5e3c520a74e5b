-- segsql: the previous run's centroids put through this run's preprocessing: the warm start's
--         initial centres, in this run's scaled space.
-- inputs:     {{ centroids }}, the output table (its `value` is in original units);
--             segsql_warm_scaler_in(feature, position, transform, clip_low, clip_high, center,
--             scale): this run's preprocessing, from segsql.steps.fit.warm;
--             macro segsql_scale (queries/preprocess/macros.sql)
-- parameters: $run_id, the previous run
-- output:     segment, position, value_scaled: one row per previous segment × feature of this
--             run, in segment and feature order (NaN or NULL where the value cannot be mapped)
SELECT c.segment, s.position,
       segsql_scale(c.value, NULL, s.transform, s.clip_low, s.clip_high, s.center, s.scale) AS value_scaled
FROM segsql_warm_scaler_in AS s
JOIN {{ centroids }} AS c ON c.feature = s.feature AND c.run_id = $run_id
ORDER BY c.segment, s.position
