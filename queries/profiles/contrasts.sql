-- segsql: each segment against the rest, per feature: what names and recommendations read.
-- inputs:     segsql_profile_stats (queries/profiles/profiles.sql)
-- parameters: $features  the feature names in config order
-- output:     segment, feature, mean, overall_mean, z (z_model: the contrast in the model's
--             space), rest_mean; by segment, then feature in config order
SELECT segment, feature, mean, overall_mean, z_model AS z, rest_mean
FROM segsql_profile_stats
ORDER BY segment, list_position($features, feature)
