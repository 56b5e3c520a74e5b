-- segsql: a run's profiles, saved.
-- inputs:     segsql_profiles (queries/profiles/profiles.sql)
-- parameters: $run_id
-- output:     rows appended to {{ schema }}.profiles, by segment then feature name
INSERT INTO {{ schema }}.profiles BY NAME
SELECT $run_id AS run_id, * EXCLUDE (position)
FROM segsql_profiles
ORDER BY segment, feature
