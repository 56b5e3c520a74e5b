-- segsql: each segment's standardized difference from the rest, per feature (for names).
-- inputs:     {{ schema }}.profiles
-- parameters: $run_id
-- output:     segment, feature, z
SELECT segment, feature, z FROM {{ schema }}.profiles WHERE run_id = $run_id ORDER BY segment, feature
