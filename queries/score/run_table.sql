-- segsql: the run the scoring queries read their model from.
-- parameters: $run_id
-- output:     TEMP TABLE segsql_score_run(run_id BIGINT), one row
CREATE OR REPLACE TEMP TABLE segsql_score_run AS SELECT CAST($run_id AS BIGINT) AS run_id
