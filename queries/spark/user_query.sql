-- segsql (Spark SQL): the user's feature query under the Spark engine, as a subquery, so that
-- only a query can run (a statement such as DROP TABLE cannot stand inside FROM ( … )).
-- inputs:  the source temp views; the marker below is replaced by the config's `sql` or `file`
-- output:  rows, whatever the query returns (written to the run's staging folder)
SELECT * FROM (
{{ user_query }}
) AS segsql_user_query
