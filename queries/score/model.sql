-- segsql: the saved model of one run, as one row: everything scoring needs.
-- inputs:  segsql_score_run(run_id), one row; {{ schema }}.scaler, .centroids,
--          .segment_summary, .runs of that run. The feature columns given are the run's,
--          in scaler position order.
-- output:  one row: per feature i: feature_@i, impute_@i, transform_@i, low_@i, high_@i,
--          center_@i, scale_@i (the scaler row at position i); impute_rule (the run's
--          [preprocess] impute); and, in segment order: segments INTEGER[],
--          centroids DOUBLE[][] (each in feature position order), names VARCHAR[],
--          p99s DOUBLE[] (each segment's 99th-percentile training distance).
WITH segsql_centroid AS (
    SELECT c.segment, list(c.value_scaled ORDER BY s.position) AS centroid
    FROM {{ schema }}.centroids AS c
    JOIN {{ schema }}.scaler AS s ON s.run_id = c.run_id AND s.feature = c.feature
    WHERE c.run_id = (SELECT run_id FROM segsql_score_run)
    GROUP BY c.segment
), segsql_segments AS (
    SELECT list(c.segment ORDER BY c.segment) AS segments,
           list(c.centroid ORDER BY c.segment) AS centroids,
           list(m.name ORDER BY c.segment) AS names,
           list(m.p99_distance ORDER BY c.segment) AS p99s
    FROM segsql_centroid AS c
    LEFT JOIN {{ schema }}.segment_summary AS m
        ON m.run_id = (SELECT run_id FROM segsql_score_run) AND m.segment = c.segment
), segsql_features AS (
    SELECT {{ columns: any_value(feature) FILTER (WHERE position = @i) AS feature_@i, any_value(impute_value) FILTER (WHERE position = @i) AS impute_@i, any_value(transform) FILTER (WHERE position = @i) AS transform_@i, any_value(clip_low) FILTER (WHERE position = @i) AS low_@i, any_value(clip_high) FILTER (WHERE position = @i) AS high_@i, any_value(center) FILTER (WHERE position = @i) AS center_@i, any_value(scale) FILTER (WHERE position = @i) AS scale_@i }}
    FROM {{ schema }}.scaler
    WHERE run_id = (SELECT run_id FROM segsql_score_run)
)
SELECT f.*,
       (SELECT coalesce(impute, 'error') FROM {{ schema }}.runs
        WHERE run_id = (SELECT run_id FROM segsql_score_run)) AS impute_rule,
       s.*
FROM segsql_features AS f CROSS JOIN segsql_segments AS s
