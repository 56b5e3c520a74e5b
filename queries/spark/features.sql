-- segsql (Spark SQL): the feature table, one row per entity, every feature as DOUBLE; the Spark
-- form of queries/features/features.sql.
-- inputs:  segsql_user_features (the checked result of the feature query); {{ entity }}
-- output:  rows (segsql_entity, <feature> DOUBLE …), made the temp view segsql_features
SELECT {{ entity }} AS segsql_entity,
       {{ columns: CAST(@col AS DOUBLE) AS @col }}
FROM segsql_user_features
