-- segsql: the rows the rules' decision tree learns from: each labelled entity's segment and its
--         features in original units, at most $size of them, a seeded draw (README, "Segment rules").
-- inputs:     segsql_features (segsql_entity, <feature> DOUBLE …); segsql_labels (segsql_entity, segment)
-- parameters: $seed (the run's [model] random_state), $size (the most rows to read)
-- output:     segment, then one DOUBLE column per feature; rows with a NULL feature are left out
--             (a NULL satisfies no condition of a rule); ordered by a seeded hash of the entity,
--             so the same data and seed give the same rows in the same order
SELECT l.segment, {{ columns: f.@col }}
FROM segsql_features AS f
JOIN segsql_labels AS l USING (segsql_entity)
WHERE {{ all: f.@col IS NOT NULL }}
ORDER BY hash(f.segsql_entity, $seed), f.segsql_entity
LIMIT $size
