-- segsql: each feature's variance after preprocessing, the share it takes of the distance.
-- inputs:  segsql_scaled (queries/preprocess/scaled.sql)
-- output:  one row; per feature i: var_i (population variance of the scaled column); the
--          squared Euclidean distance k-means minimises sums these, so var_i / sum is the share
--          of the total distance variance feature i holds
SELECT {{ columns: var_pop(@col) AS var_@i }}
FROM segsql_scaled
