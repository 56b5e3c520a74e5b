-- segsql: the features a run's recipe computes from new transactions, as rows to score.
-- inputs:  segsql_user_features, the recipe's result over the transactions file (segsql_entity
--          and the recipe's feature columns; segsql.steps.features)
-- output:  TEMP VIEW segsql_recipe_rows({{ entity }}, <recipe feature> …), in entity order: the
--          entity under the run's name for it, as a feature file for `segsql score --input`
--          has it
CREATE OR REPLACE TEMP VIEW segsql_recipe_rows AS
SELECT * RENAME (segsql_entity AS {{ entity }})
FROM segsql_user_features
ORDER BY segsql_entity
