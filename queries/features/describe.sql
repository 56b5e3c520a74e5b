-- segsql: the columns and types of the feature query's result.
-- inputs:  segsql_user_features
-- output:  column_name, column_type, in the query's order.
SELECT column_name, column_type FROM (DESCRIBE segsql_user_features)
