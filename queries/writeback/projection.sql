-- segsql: a run's 2-D map, saved.
-- inputs:     segsql_projection (queries/projection/projection.sql)
-- parameters: $run_id
-- output:     rows appended to {{ schema }}.projection, in the order the map step made them
INSERT INTO {{ schema }}.projection BY NAME
SELECT $run_id AS run_id, *
FROM segsql_projection
