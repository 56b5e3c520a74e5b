-- segsql: whether a registered source has no rows (reads at most one row).
-- inputs:  {{ name }}, a source view.
-- output:  one row, one BOOLEAN column `is_empty`.
SELECT count(*) = 0 AS is_empty FROM (SELECT 1 FROM {{ name }} LIMIT 1)
