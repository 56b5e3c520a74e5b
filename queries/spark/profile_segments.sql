-- segsql (Spark SQL): the one pass over every row for the profiles and the segment summary: each
--         segment's aggregates of each feature, in original units and in the model's space, and
--         its size and the 99th percentile of its members' distances to its centroid.
-- inputs:  segsql_features (features before preprocessing, DOUBLE); segsql_scaled (the model's
--          input); segsql_final_labels(segsql_entity, segment, distance), this run's labels
--          after the lifecycle numbering and [segments] min_size merges
--          (queries/spark/final_segments.sql)
-- output:  one row per segment: segment, members, p99_distance, and per feature i: mean_i,
--          std_i (population), q_i (the 0.05, 0.25, 0.5, 0.75 and 0.95 quantiles), min_i,
--          max_i, total_i, n_i (the non-NULL values), s_total_i, s_n_i, s_std_i (the scaled
--          values' sum, count and population std); collected to the driver and read back by
--          queries/spark/profiles.sql as segsql_profile_segments
-- The quantiles are DuckDB's quantile_cont, exactly: from each segment's sorted values, linear
-- between the values at the ranks around q·(n - 1) (Spark's percentile() is exact too, but
-- hashes every distinct value, about ten times slower here). NULL feature values are left out
-- (the scaled values are imputed).
WITH joined AS (
    SELECT l.segment, l.distance, {{ columns: f.@col AS v_@i, s.@col AS s_@i }}
    FROM segsql_features AS f
    JOIN segsql_final_labels AS l ON f.segsql_entity = l.segsql_entity
    JOIN segsql_scaled AS s ON f.segsql_entity = s.segsql_entity
),
per_segment AS (
    SELECT segment, count(*) AS members, sort_array(collect_list(distance)) AS d_sorted,
           {{ columns: avg(v_@i) AS mean_@i, stddev_pop(v_@i) AS std_@i, sort_array(collect_list(v_@i)) AS x_@i, min(v_@i) AS min_@i, max(v_@i) AS max_@i, sum(v_@i) AS total_@i, count(v_@i) AS n_@i, sum(s_@i) AS s_total_@i, count(s_@i) AS s_n_@i, stddev_pop(s_@i) AS s_std_@i }}
    FROM joined
    GROUP BY segment
)
SELECT segment, members,
       -- lo + (hi - lo) · (h - floor(h)), h = q·(n - 1), as quantile_cont
       transform(array(0.99D), q -> d_sorted[CAST(floor(q * (size(d_sorted) - 1)) AS INT)] + (d_sorted[CAST(ceil(q * (size(d_sorted) - 1)) AS INT)] - d_sorted[CAST(floor(q * (size(d_sorted) - 1)) AS INT)]) * (q * (size(d_sorted) - 1) - floor(q * (size(d_sorted) - 1))))[0] AS p99_distance,
       {{ columns: mean_@i, std_@i, CASE WHEN size(x_@i) > 0 THEN transform(array(0.05D, 0.25D, 0.5D, 0.75D, 0.95D), q -> x_@i[CAST(floor(q * (size(x_@i) - 1)) AS INT)] + (x_@i[CAST(ceil(q * (size(x_@i) - 1)) AS INT)] - x_@i[CAST(floor(q * (size(x_@i) - 1)) AS INT)]) * (q * (size(x_@i) - 1) - floor(q * (size(x_@i) - 1)))) END AS q_@i, min_@i, max_@i, total_@i, n_@i, s_total_@i, s_n_@i, s_std_@i }}
FROM per_segment
