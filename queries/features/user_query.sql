-- segsql: the user's feature query, materialized.
-- inputs:  the source views; the marker below is replaced by the config's `sql` or `file`,
--          checked by segsql.sql to be exactly one SELECT statement.
-- output:  TEMP TABLE segsql_user_features, whatever the query returns.
CREATE OR REPLACE TEMP TABLE segsql_user_features AS
{{ user_query }}
