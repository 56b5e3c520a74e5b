-- segsql init: how many rows the data file has.
-- inputs:  data
-- output:  one row: n
SELECT count(*) AS n FROM data
