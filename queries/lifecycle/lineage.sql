-- segsql: the lineage of this run's segments, for the segment_lineage table.
-- inputs:     segsql_lineage_in, the rows segsql.steps.lifecycle computed
-- output:     TEMP TABLE segsql_segment_lineage(segment, previous_run_id, previous_segment,
--             event, centroid_shift, members_kept): the table's columns but run_id
CREATE OR REPLACE TEMP TABLE segsql_segment_lineage AS
SELECT CAST(segment AS INTEGER) AS segment, CAST(previous_run_id AS BIGINT) AS previous_run_id,
       CAST(previous_segment AS INTEGER) AS previous_segment, event,
       CAST(centroid_shift AS DOUBLE) AS centroid_shift, CAST(members_kept AS DOUBLE) AS members_kept
FROM segsql_lineage_in
