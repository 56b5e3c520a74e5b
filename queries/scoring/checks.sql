-- segsql: what could make the rows to score unusable: NULLs, non-finite and out-of-domain values.
-- inputs:  segsql_score_input, the feature columns (checked to exist and be numeric)
-- output:  one row: n_rows; per feature i: nulls_@i, nonfinite_@i, min_@i
SELECT count(*) AS n_rows,
       {{ columns: count(*) - count(@col) AS nulls_@i, count(*) FILTER (WHERE NOT isfinite(CAST(@col AS DOUBLE))) AS nonfinite_@i, min(CAST(@col AS DOUBLE)) AS min_@i }}
FROM segsql_score_input
