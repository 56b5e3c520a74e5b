-- segsql: the correlation of every pair of features, as the model sees them, in one pass.
-- inputs:  segsql_scaled
-- output:  one row: c_<i>_<j>, the Pearson correlation of features i < j (NULL when either is
--          constant); the select list is a sqlglot tree built by segsql.steps.diagnostics, every
--          name quoted by sqlglot
{{ sqlglot: body }}
