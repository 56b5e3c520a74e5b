-- segsql: how many distinct feature vectors there are (k-means needs at least K).
-- inputs:  segsql_features
-- output:  one row: n_distinct
SELECT count(*) AS n_distinct FROM (SELECT DISTINCT {{ columns: @col }} FROM segsql_features)
