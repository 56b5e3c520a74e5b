-- segsql: the features a run's recipe computed from new transactions, read back.
-- inputs:  segsql_recipe_rows (scoring/recipe_rows.sql)
-- output:  its rows: the entity, then the recipe's feature columns, in entity order
SELECT * FROM segsql_recipe_rows
