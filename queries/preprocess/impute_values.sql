-- segsql: what each feature's NULLs are replaced with, and each feature's range.
-- inputs:     segsql_features
-- parameters: $impute  'error' | 'mean' | 'median' | 'zero' | 'drop'
--             $drop    true when rows with a NULL feature are dropped
-- output:     one row; per feature i: impute_i (NULL for error/drop), min_i, max_i
SELECT {{ columns: CASE $impute WHEN 'mean' THEN avg(@col) WHEN 'median' THEN median(@col) WHEN 'zero' THEN 0.0 END AS impute_@i, min(@col) AS min_@i, max(@col) AS max_@i }},
       count(*) AS n_rows
FROM segsql_features
WHERE NOT $drop OR ({{ all: @col IS NOT NULL }})
