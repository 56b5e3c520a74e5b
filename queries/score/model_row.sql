-- segsql: the saved model row kept for scoring (see score/model.sql).
-- inputs:  segsql_score_model
-- output:  its one row
SELECT * FROM segsql_score_model
