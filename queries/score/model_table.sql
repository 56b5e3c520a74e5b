-- segsql: the saved model of the run to score with, kept for the scoring queries.
-- inputs:  see score/model.sql
-- output:  TEMP TABLE segsql_score_model, one row (see score/model.sql)
CREATE OR REPLACE TEMP TABLE segsql_score_model AS SELECT * FROM ({{ include: score/model }})
