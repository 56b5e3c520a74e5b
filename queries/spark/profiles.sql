-- segsql (Spark SQL): segment profiles, the Spark form of queries/profiles/profiles.sql (the same
--         statistics, to 1e-9 relative: only the order of the floating-point sums differs),
--         from each segment's aggregates (queries/spark/profile_segments.sql): no row is read
--         again. The overall mean is the segments' sums over their counts; the overall
--         population std combines the segments' (within plus between: exact).
-- inputs:     segsql_profile_segments, the collected rows of queries/spark/profile_segments.sql
-- parameters: per feature i: :feature_i, its name; :min_group, the fewest members a segment
--             needs for its quantiles to be kept ([output] min_group; NULL: always kept)
-- output:     rows (segment, feature, mean, median, std (population), p25, p75, min, p05, p95,
--             max, overall_mean, z, z_model, rest_mean), as queries/profiles/profiles.sql
--             defines them; collected to the driver and handed to the DuckDB steps as
--             segsql_profile_stats (queries/spark/profile_stats.sql)
WITH totals AS (
    SELECT {{ columns: sum(total_@i) AS o_total_@i, sum(n_@i) AS o_n_@i, sum(s_total_@i) AS o_s_total_@i, sum(s_n_@i) AS o_s_n_@i }}
    FROM segsql_profile_segments
),
overall AS (
    SELECT {{ columns: o_total_@i / nullif(o_n_@i, 0) AS o_mean_@i, sqrt(greatest(sum(coalesce(n_@i * std_@i * std_@i + n_@i * (mean_@i - o_total_@i / nullif(o_n_@i, 0)) * (mean_@i - o_total_@i / nullif(o_n_@i, 0)), 0)) / nullif(o_n_@i, 0), 0)) AS o_std_@i, o_total_@i, o_n_@i, sqrt(greatest(sum(coalesce(s_n_@i * s_std_@i * s_std_@i + s_n_@i * (s_total_@i / nullif(s_n_@i, 0) - o_s_total_@i / nullif(o_s_n_@i, 0)) * (s_total_@i / nullif(s_n_@i, 0) - o_s_total_@i / nullif(o_s_n_@i, 0)), 0)) / nullif(o_s_n_@i, 0), 0)) AS o_s_std_@i, o_s_total_@i, o_s_n_@i }}
    FROM segsql_profile_segments CROSS JOIN totals
    GROUP BY {{ columns: o_total_@i, o_n_@i, o_s_total_@i, o_s_n_@i }}
),
-- published only when the segment is large enough ([output] min_group): a quantile of a
-- handful of members is close to one member's value
kept AS (
    SELECT *, :min_group IS NULL OR members >= :min_group AS publish FROM segsql_profile_segments
),
long AS (
    SELECT segment, publish,
           inline(array({{ columns: named_struct('feature', :feature_@i, 'mean', mean_@i, 'median', q_@i[2], 'std', std_@i, 'p25', q_@i[1], 'p75', q_@i[3], 'min', min_@i, 'p05', q_@i[0], 'p95', q_@i[4], 'max', max_@i, 'overall_mean', o_mean_@i, 'rest_mean', (o_total_@i - total_@i) / nullif(o_n_@i - n_@i, 0), 'z', (mean_@i - (o_total_@i - total_@i) / nullif(o_n_@i - n_@i, 0)) / nullif(o_std_@i, 0), 'z_model', (s_total_@i / nullif(s_n_@i, 0) - (o_s_total_@i - s_total_@i) / nullif(o_s_n_@i - s_n_@i, 0)) / nullif(o_s_std_@i, 0)) }}))
    FROM kept CROSS JOIN overall
)
SELECT segment, feature, mean,
       CASE WHEN publish THEN median END AS median, CASE WHEN publish THEN std END AS std,
       CASE WHEN publish THEN p25 END AS p25, CASE WHEN publish THEN p75 END AS p75,
       CASE WHEN publish THEN min END AS min, CASE WHEN publish THEN p05 END AS p05,
       CASE WHEN publish THEN p95 END AS p95, CASE WHEN publish THEN max END AS max,
       overall_mean, z, z_model, rest_mean
FROM long
