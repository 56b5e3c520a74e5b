-- segsql: whether the sample weight ([features] weight) can weigh rows.
-- inputs:  segsql_features(segsql_weight)
-- output:  one row: n_null, n_nonfinite (NaN or ±inf), n_negative, n_positive
SELECT count(*) - count(segsql_weight)                          AS n_null,
       count_if(NOT isfinite(segsql_weight))                    AS n_nonfinite,
       count_if(isfinite(segsql_weight) AND segsql_weight < 0)  AS n_negative,
       count_if(isfinite(segsql_weight) AND segsql_weight > 0)  AS n_positive
FROM segsql_features
