-- segsql: the members of segments whose centre moved get their distance to the new centre.
-- inputs:  segsql_scaled; {{ labels }} (segsql_entity, segment, distance);
--          segsql_guard_centres(segment INTEGER, centre DOUBLE[]) from segsql.steps.guard
-- output:  {{ labels }} updated in place: distance = the Euclidean distance, in scaled units
UPDATE {{ labels }} SET distance = list_distance([{{ columns: s.@col }}], c.centre)
FROM segsql_scaled AS s, segsql_guard_centres AS c
WHERE {{ labels }}.segsql_entity = s.segsql_entity AND {{ labels }}.segment = c.segment
