-- segsql: each segment against the rest, per feature: what names and recommendations read.
-- inputs:     segsql_profiles (queries/profiles/profiles.sql)
-- parameters: $features  the feature names in config order
-- output:     segment, feature, mean, overall_mean, z; by segment, then feature in config order
SELECT segment, feature, mean, overall_mean, z
FROM segsql_profiles
ORDER BY segment, list_position($features, feature)
