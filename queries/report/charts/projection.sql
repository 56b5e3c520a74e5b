-- segsql chart: the 2-D map: PCA projections of at most 5,000 sample rows and the centroids.
-- inputs:     {{ schema }}.projection, {{ schema }}.segment_summary
-- parameters: $run_id
-- output:     kind ('point' | 'centroid'), entity, segment, label, pc1, pc2, variance_pc1,
--             variance_pc2
SELECT p.kind, p.entity, p.segment, concat(p.segment, ' · ', s.name) AS label, p.pc1, p.pc2,
       p.variance_pc1, p.variance_pc2
FROM {{ schema }}.projection AS p
JOIN {{ schema }}.segment_summary AS s ON s.run_id = p.run_id AND s.segment = p.segment
WHERE p.run_id = $run_id
ORDER BY p.kind DESC, p.segment, p.entity
