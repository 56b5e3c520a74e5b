-- segsql chart: distributions: per feature, a box per segment, from quantiles computed in SQL
--            when the run was written (profiles), never from raw rows.
-- inputs:     {{ schema }}.profiles, {{ schema }}.segment_summary, {{ schema }}.scaler (order)
-- parameters: $run_id
-- output:     feature, position, segment, label, min, p05, p25, median, p75, p95, max, mean,
--             transform (the scaler's: a log1p feature is drawn on a log axis);
--             one row per feature × segment
SELECT p.feature, c.position, p.segment, concat(p.segment, ' · ', s.name) AS label,
       p.min, p.p05, p.p25, p.median, p.p75, p.p95, p.max, p.mean, c.transform
FROM {{ schema }}.profiles AS p
JOIN {{ schema }}.segment_summary AS s ON s.run_id = p.run_id AND s.segment = p.segment
JOIN {{ schema }}.scaler AS c ON c.run_id = p.run_id AND c.feature = p.feature
WHERE p.run_id = $run_id
ORDER BY c.position, p.segment
