-- segsql: the profiles table's rows of this run: the profile statistics without the helpers, and
--         for each indicator column of a categorical feature its level's share and lift.
-- inputs:  segsql_profile_stats (queries/profiles/profiles.sql or profiles_weighted.sql);
--          segsql_levels_in(feature, source_column, level) from segsql.steps.profiles: one row
--          per indicator column (README, "Categorical features and weights")
-- output:  TEMP TABLE segsql_profiles: segment, feature, mean, median, std, p25, p75, min, p05,
--          p95, max, overall_mean, z, z_model (rest_mean, for the words only, is left out), and
--          source_column (the categorical column), level (its level; NULL for the "(other)"
--          group of the rarer ones, as in the scaler table), share (the share of the segment's members, weighted with
--          [features] weight, at that level: the indicator's mean) and lift (share / the share
--          of all other rows; NULL when no other row has the level: a share of the rest under
--          1e-12 is the rounding of a difference of weighted sums, not rows); the four are NULL
--          for a numeric feature
CREATE OR REPLACE TEMP TABLE segsql_profiles AS
SELECT p.* EXCLUDE (rest_mean), c.source_column, c.level,
       CASE WHEN c.feature IS NOT NULL THEN p.mean END AS share,
       CASE WHEN c.feature IS NOT NULL AND abs(p.rest_mean) > 1e-12 THEN p.mean / p.rest_mean END AS lift
FROM segsql_profile_stats AS p
LEFT JOIN segsql_levels_in AS c ON p.feature = c.feature
ORDER BY p.segment, p.feature
