-- segsql: each segment against the rest, per feature: what names and recommendations read.
-- inputs:     segsql_profile_stats (queries/profiles/profiles.sql); segsql_profiles
--             (queries/profiles/published.sql)
-- parameters: $features  the feature names in config order
-- output:     segment, feature, mean, overall_mean, z (z_model: the contrast in the model's
--             space), rest_mean, source_column, level, share, lift (the last four: an indicator
--             column of a categorical feature; NULL otherwise); by segment, then feature in
--             config order
SELECT s.segment, s.feature, s.mean, s.overall_mean, s.z_model AS z, s.rest_mean,
       p.source_column, p.level, p.share, p.lift
FROM segsql_profile_stats AS s
JOIN segsql_profiles AS p USING (segment, feature)
ORDER BY s.segment, list_position($features, s.feature)
