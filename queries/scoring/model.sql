-- segsql: the saved model of one run, as one row: everything scoring needs.
-- inputs:     {{ schema }}.scaler, .centroids, .segment_summary
-- parameters: $run_id
-- output:     one row (all NULL when the run has no scaler rows). In scaler position order:
--             features VARCHAR[], transforms VARCHAR[], impute_values, clip_lows, clip_highs,
--             centers, scales DOUBLE[]; in segment order: segments INTEGER[], centroids
--             DOUBLE[][] (each in position order), names VARCHAR[], p99s DOUBLE[] (each
--             segment's 99th-percentile training distance; NULL for runs made before it).
WITH segsql_centroid AS (
    SELECT c.segment, list(c.value_scaled ORDER BY s.position) AS centroid
    FROM {{ schema }}.centroids AS c
    JOIN {{ schema }}.scaler AS s ON s.run_id = c.run_id AND s.feature = c.feature
    WHERE c.run_id = $run_id
    GROUP BY c.segment
), segsql_segments AS (
    SELECT list(c.segment ORDER BY c.segment) AS segments,
           list(c.centroid ORDER BY c.segment) AS centroids,
           list(m.name ORDER BY c.segment) AS names,
           list(m.p99_distance ORDER BY c.segment) AS p99s
    FROM segsql_centroid AS c
    LEFT JOIN {{ schema }}.segment_summary AS m ON m.run_id = $run_id AND m.segment = c.segment
), segsql_features AS (
    SELECT list(feature ORDER BY position) AS features,
           list(transform ORDER BY position) AS transforms,
           list(impute_value ORDER BY position) AS impute_values,
           list(clip_low ORDER BY position) AS clip_lows,
           list(clip_high ORDER BY position) AS clip_highs,
           list(center ORDER BY position) AS centers,
           list(scale ORDER BY position) AS scales
    FROM {{ schema }}.scaler
    WHERE run_id = $run_id
)
SELECT * FROM segsql_features CROSS JOIN segsql_segments
