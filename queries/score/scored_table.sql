-- segsql: the scored rows (see score/nearest.sql), kept for writing or returning.
-- output:  TEMP TABLE segsql_scored({{ entity }}, segment, segment_name, distance,
--          second_distance, is_outlier)
CREATE OR REPLACE TEMP TABLE segsql_scored AS {{ include: score/nearest }}
