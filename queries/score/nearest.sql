-- segsql: the nearest centroid of each scaled row: squared Euclidean distance to each
-- centroid; ties go to the lowest segment number (the first minimum in segment order), as
-- scikit-learn's argmin does on the same centroids.
-- inputs:  segsql_score_scaled(segsql_entity, segsql_x DOUBLE[]);
--          segsql_score_model (score/model.sql): segments, centroids, names, p99s
-- output:  {{ entity }}, segment, segment_name, distance (to the nearest centroid, scaled
--          space), second_distance (to the second nearest), is_outlier (distance beyond
--          the segment's 99th-percentile training distance)
SELECT segsql_entity AS {{ entity }},
       segments[segsql_i] AS segment,
       names[segsql_i] AS segment_name,
       segsql_d[segsql_i] AS distance,
       list_sort(segsql_d)[2] AS second_distance,
       segsql_d[segsql_i] > p99s[segsql_i] AS is_outlier
FROM (
    SELECT *, list_position(segsql_d, list_min(segsql_d)) AS segsql_i
    FROM (
        SELECT s.segsql_entity, m.segments, m.names, m.p99s,
               list_transform(m.centroids, lambda c: list_distance(s.segsql_x, c)) AS segsql_d
        FROM segsql_score_scaled AS s CROSS JOIN segsql_score_model AS m
    )
)
