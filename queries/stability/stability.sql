-- segsql: each segment's stability (mean Jaccard over bootstrap resamples, Hennig's clusterboot).
-- inputs:  segsql_stability_in(segment, stability) from segsql.steps.stability
-- output:  TEMP TABLE segsql_stability(segment INTEGER, stability DOUBLE), NULL where no
--          resample drew any of the segment's rows
CREATE OR REPLACE TEMP TABLE segsql_stability AS
SELECT CAST(segment AS INTEGER) AS segment, CAST(stability AS DOUBLE) AS stability
FROM segsql_stability_in
ORDER BY segment
