-- segsql chart: the elbow: inertia against K, the chosen K marked.
-- inputs:     {{ schema }}.k_sweep
-- parameters: $run_id
-- output:     k, inertia, chosen; one row per K of the sweep
SELECT k, inertia, chosen
FROM {{ schema }}.k_sweep
WHERE run_id = $run_id
ORDER BY k
