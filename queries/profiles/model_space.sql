-- segsql: each segment's figures in the space the model clustered, for the profiles' contrasts.
-- inputs:  segsql_scaled (the model's input); segsql_labels
-- output:  TEMP TABLE segsql_profile_model_space: segment, and per feature i s_total_i,
--          s_n_i and s_std_i (population) of its scaled values
-- A statement of its own, run before the original units' (queries/profiles/original.sql): in
-- one query DuckDB would hold this join's hash table beside their exact quantiles, which it
-- cannot spill (bench/README.md, "Issue 16").
CREATE OR REPLACE TEMP TABLE segsql_profile_model_space AS
SELECT l.segment, {{ columns: sum(s.@col) AS s_total_@i, count(s.@col) AS s_n_@i, stddev_pop(s.@col) AS s_std_@i }}
FROM segsql_scaled AS s
JOIN segsql_labels AS l USING (segsql_entity)
GROUP BY l.segment
