-- segsql: each feature's values as the run takes them before transform, clipping and
-- scaling: a NULL replaced by the run's impute value, or its row left out (impute = "drop").
-- Included by the drift queries (a view cannot hold parameters).
-- inputs:     {{ features }}, the features step's relation (segsql_features)
-- parameters: $drop; per feature i: $impute_i (NULL when the rule imputes nothing)
-- output:     segsql_entity, <feature> DOUBLE …, one row per row of the run
SELECT segsql_entity,
       {{ columns: coalesce(@col, $impute_@i) AS @col }}
FROM {{ features }}
WHERE NOT $drop OR ({{ all: @col IS NOT NULL }})
