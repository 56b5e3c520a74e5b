-- segsql: a segment merged away by [segments] min_size is no segment of this run's lineage.
-- inputs:     {{ lineage }} (queries/lifecycle/lineage.sql)
-- parameters: $segment
-- output:     {{ lineage }} without the segment's row
DELETE FROM {{ lineage }} WHERE segment = $segment
