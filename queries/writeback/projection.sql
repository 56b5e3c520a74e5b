-- segsql: the 2-D map of a run: PCA projections of sample rows and of the centroids.
-- inputs:     segsql_projection_in(segsql_row, kind, segment, pc1, pc2, variance_pc1,
--             variance_pc2) from segsql.projection; segsql_scaled (for the entity of a row)
-- parameters: $run_id
-- output:     rows appended to {{ schema }}.projection; `entity` is the entity as text
--             (NULL for a centroid)
INSERT INTO {{ schema }}.projection BY NAME
SELECT $run_id AS run_id, p.kind, CAST(s.segsql_entity AS VARCHAR) AS entity, p.segment,
       p.pc1, p.pc2, p.variance_pc1, p.variance_pc2
FROM segsql_projection_in AS p
LEFT JOIN segsql_scaled AS s USING (segsql_row)
ORDER BY p.kind DESC, p.segsql_row, p.segment
