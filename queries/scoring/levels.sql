-- segsql: which features of a run are indicators of a categorical column, and of which level.
-- inputs:     {{ schema }}.scaler (with its source_column and level columns)
-- parameters: $run_id
-- output:     one row per feature, in position order: source_column (NULL for a numeric
--             feature), level (NULL for the "(other)" group and for a numeric feature)
SELECT source_column, level
FROM {{ schema }}.scaler
WHERE run_id = $run_id
ORDER BY position
