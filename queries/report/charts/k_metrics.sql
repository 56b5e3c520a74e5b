-- segsql chart: K metrics: silhouette, Calinski-Harabasz and Davies-Bouldin against K.
-- inputs:     {{ schema }}.k_sweep
-- parameters: $run_id
-- output:     metric (silhouette | calinski_harabasz | davies_bouldin), k, value, chosen;
--             one row per metric × K. NaN (a metric undefined at that K) becomes NULL.
SELECT metric, k, CASE WHEN isnan(value) THEN NULL ELSE value END AS value, chosen
FROM (
    UNPIVOT (
        SELECT k, silhouette, calinski_harabasz, davies_bouldin, chosen
        FROM {{ schema }}.k_sweep
        WHERE run_id = $run_id
    )
    ON silhouette, calinski_harabasz, davies_bouldin
    INTO NAME metric VALUE value
)
ORDER BY CASE metric WHEN 'silhouette' THEN 1 WHEN 'calinski_harabasz' THEN 2 ELSE 3 END, k
