-- segsql (DuckDB SQL): the profile statistics Spark computed (queries/spark/profiles.sql), as the
--         table queries/profiles/profiles.sql leaves, for the DuckDB steps that follow (the
--         overflow check, published, contrasts, the names).
-- inputs:  segsql_profile_stats_in, the collected rows, from segsql.spark.profiles
-- output:  TEMP TABLE segsql_profile_stats (the columns of queries/profiles/profiles.sql)
CREATE OR REPLACE TEMP TABLE segsql_profile_stats AS
SELECT CAST(segment AS INTEGER) AS segment, feature, mean, median, std, p25, p75, min, p05, p95,
       max, overall_mean, z, z_model, rest_mean
FROM segsql_profile_stats_in
ORDER BY segment, feature
