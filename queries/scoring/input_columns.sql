-- segsql: the columns of the rows to score, to check them before scoring.
-- inputs:  segsql_score_input (a view over the file or table given)
-- output:  column_name, column_type, in table order
SELECT column_name, column_type FROM (DESCRIBE segsql_score_input)
