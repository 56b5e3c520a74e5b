-- segsql: the scored rows, in the order they were read.
-- inputs:  segsql_scored
-- output:  every column of segsql_scored
SELECT * FROM segsql_scored
