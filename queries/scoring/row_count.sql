-- segsql: how many rows there are to score, asked only when their columns look wrong (a CSV
-- with a header and no rows has every column typed VARCHAR, a zero-byte file none of them).
-- inputs:  segsql_score_input
-- output:  one row: n_rows
SELECT count(*) AS n_rows FROM segsql_score_input
