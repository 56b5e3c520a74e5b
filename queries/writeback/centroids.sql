-- segsql: the centroids, scaled and back in the original units of each feature.
-- inputs:     segsql_centroids_in(segment, feature, value_scaled) from the model;
--             {{ schema }}.scaler of this run; macro segsql_unscale (preprocess/macros.sql)
-- parameters: $run_id
-- output:     rows appended to {{ schema }}.centroids. `value` undoes the scaling and the
--             transform (log1p, sqrt); winsorizing cannot be undone.
INSERT INTO {{ schema }}.centroids BY NAME
SELECT $run_id AS run_id, c.segment, c.feature, c.value_scaled,
       segsql_unscale(c.value_scaled, s.transform, s.center, s.scale) AS value
FROM segsql_centroids_in AS c
JOIN {{ schema }}.scaler AS s ON s.run_id = $run_id AND s.feature = c.feature
ORDER BY c.segment, s.position
