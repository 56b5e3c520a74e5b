-- segsql: the profiles table's rows of this run: the profile statistics without the helpers.
-- inputs:  segsql_profile_stats (queries/profiles/profiles.sql)
-- output:  TEMP TABLE segsql_profiles: segment, feature, mean, median, std, p25, p75, min, p05,
--          p95, max, overall_mean, z, z_model (rest_mean, for the words only, is left out)
CREATE OR REPLACE TEMP TABLE segsql_profiles AS
SELECT * EXCLUDE (rest_mean) FROM segsql_profile_stats ORDER BY segment, feature
