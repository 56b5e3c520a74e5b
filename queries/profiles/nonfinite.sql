-- segsql: the first profile statistic that is not a finite number (an overflow), if any.
-- inputs:  segsql_profile_stats (queries/profiles/profiles.sql)
-- output:  at most one row: segment, feature. NULL statistics (a constant feature's z) are fine.
SELECT segment, feature
FROM segsql_profile_stats
WHERE NOT isfinite(mean) OR NOT isfinite(median) OR NOT isfinite(std) OR NOT isfinite(p25)
   OR NOT isfinite(p75) OR NOT isfinite(min) OR NOT isfinite(p05) OR NOT isfinite(p95)
   OR NOT isfinite(max) OR NOT isfinite(overall_mean) OR NOT isfinite(z)
   OR NOT isfinite(z_model) OR NOT isfinite(rest_mean)
ORDER BY segment, feature
LIMIT 1
