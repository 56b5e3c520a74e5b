-- segsql: each row's sample weight ([features] weight), for the model.
-- inputs:  segsql_scaled (with its segsql_weight column, present when [features] weight is set)
-- output:  segsql_row, segsql_weight DOUBLE; in no particular row order: segsql/steps/matrix.py
--          puts row r's weight at position segsql_row = r
SELECT segsql_row, CAST(segsql_weight AS DOUBLE) AS segsql_weight FROM segsql_scaled
