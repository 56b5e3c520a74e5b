-- segsql: every row's nearest centre and its distance to it, in SQL (the streamed model's labels:
-- the matrix is never whole in memory).
-- inputs:     segsql_scaled
-- parameters: $centers  a list of centres, each a list of DOUBLE in config feature order
-- output:     TEMP TABLE segsql_assigned(segsql_row, segsql_entity, raw_segment, distance):
--             raw_segment is the 1-based position of the nearest centre in $centers (the first
--             of equally near ones), distance the Euclidean distance to it, in scaled units.
CREATE OR REPLACE TEMP TABLE segsql_assigned AS
WITH point AS (
    SELECT segsql_row, segsql_entity, CAST([{{ columns: @col }}] AS DOUBLE[]) AS v
    FROM segsql_scaled
),
centre AS (
    SELECT CAST($centers AS DOUBLE[][]) AS centers
),
distances AS (
    SELECT segsql_row, segsql_entity,
           list_transform(centers, lambda c: list_distance(c, v)) AS d
    FROM point, centre
)
SELECT segsql_row, segsql_entity, list_position(d, list_min(d)) AS raw_segment, list_min(d) AS distance
FROM distances
