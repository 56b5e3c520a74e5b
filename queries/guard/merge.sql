-- segsql: a segment smaller than [segments] min_size joins its nearest segment.
-- inputs:     {{ labels }} (segsql_entity, segment, distance)
-- parameters: $segment, the small segment; $into, the segment it joins
-- output:     {{ labels }} updated in place (distances are recomputed by guard/distances.sql)
UPDATE {{ labels }} SET segment = $into WHERE segment = $segment
