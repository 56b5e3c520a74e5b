-- segsql: this run's labels under the segments' identities (numbers kept from the previous run).
-- inputs:     {{ labels }} (segsql_entity, segment 1..K); segsql_identity_in(fit_segment,
--             segment) from segsql.steps.lifecycle
-- output:     {{ labels }} updated in place
UPDATE {{ labels }} SET segment = m.segment
FROM segsql_identity_in AS m
WHERE {{ labels }}.segment = m.fit_segment
