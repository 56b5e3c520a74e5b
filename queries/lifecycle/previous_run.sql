-- segsql: the run a new run is compared with: the latest successful run of the same
-- entity and features (in the same order) in the output schema.
-- inputs:     {{ runs }}, the runs table (it exists: the caller checked)
-- parameters: $entity, the entity column; $features, the feature columns as a JSON list
-- output:     one row: previous_run_id (NULL when there is none)
SELECT max(run_id) AS previous_run_id
FROM {{ runs }}
WHERE status = 'success' AND entity = $entity AND features = $features
