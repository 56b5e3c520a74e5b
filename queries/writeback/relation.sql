-- segsql: what a step left for the write-back (profiles, segment summary, map), saved.
-- inputs:     {{ relation }}, a temp table a step left in the session, with the columns of
--             {{ table }} but run_id
-- parameters: $run_id
-- output:     rows appended to {{ table }}, in the order the step made them
INSERT INTO {{ table }} BY NAME
SELECT $run_id AS run_id, *
FROM {{ relation }}
