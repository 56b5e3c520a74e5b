-- segsql: the 2-D map of a run: PCA projections of sample rows and of the centroids.
-- inputs:     segsql_projection_in(segsql_row, kind, segment, pc1, pc2, variance_pc1,
--             variance_pc2) from segsql.steps.projection; segsql_scaled (for the entity of a row)
-- output:     TEMP TABLE segsql_projection(kind, entity, segment, pc1, pc2, variance_pc1,
--             variance_pc2); `entity` is the entity as text (NULL for a centroid)
CREATE OR REPLACE TEMP TABLE segsql_projection AS
SELECT p.kind, CAST(s.segsql_entity AS VARCHAR) AS entity, p.segment,
       p.pc1, p.pc2, p.variance_pc1, p.variance_pc2
FROM segsql_projection_in AS p
LEFT JOIN segsql_scaled AS s USING (segsql_row)
ORDER BY p.kind DESC, p.segsql_row, p.segment
