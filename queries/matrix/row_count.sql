-- segsql: how many rows the model's matrix has.
-- inputs:  segsql_scaled
-- output:  one row: n
SELECT count(*) AS n FROM segsql_scaled
