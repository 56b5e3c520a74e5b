-- segsql: some features' distributions per segment, in original units.
-- inputs:     segsql_features (features before preprocessing); segsql_labels
-- parameters: $first, the position of the first of these features among all
-- output:     their rows of TEMP TABLE segsql_profile_original (queries/profiles/original_table.sql):
--             per segment and feature, members, mean, std (population), q (p05, p25, median,
--             p75, p95), min, max, total, n
-- An exact quantile keeps every value of its feature in memory, and DuckDB cannot spill it:
-- segsql.steps.profiles runs this for all features at once while their values are few, else
-- for one feature at a time (at 100,000,000 customers five together did not fit in 8 GB;
-- bench/README.md, "Issue 16").
INSERT INTO segsql_profile_original BY NAME
SELECT segment, members,
       unnest([{{ columns: {'i': $first + @i, 'mean': mean_@i, 'std': std_@i, 'q': q_@i, 'min': min_@i, 'max': max_@i, 'total': total_@i, 'n': n_@i} }}], recursive := true)
FROM (
    SELECT l.segment, count(*) AS members,
           {{ columns: avg(f.@col) AS mean_@i, stddev_pop(f.@col) AS std_@i, quantile_cont(f.@col, [0.05, 0.25, 0.5, 0.75, 0.95]) AS q_@i, min(f.@col) AS min_@i, max(f.@col) AS max_@i, sum(f.@col) AS total_@i, count(f.@col) AS n_@i }}
    FROM segsql_features AS f
    JOIN segsql_labels AS l USING (segsql_entity)
    GROUP BY l.segment
)
