-- segsql: counts that decide whether the feature table can be segmented.
-- inputs:  segsql_features
-- output:  one row: n_rows, null_entities, and per feature i:
--          nulls_i (NULL count), nonfinite_i (NaN or ±inf), distinct_i (distinct non-NULL values),
--          magnitude_i (the largest absolute finite value; the overflow check reads it)
SELECT count(*)                     AS n_rows,
       count(*) - count(segsql_entity) AS null_entities,
       {{ columns: count(*) - count(@col) AS nulls_@i, count_if(isnan(@col) OR isinf(@col)) AS nonfinite_@i, approx_count_distinct(@col) AS distinct_@i, max(abs(@col)) FILTER (WHERE isfinite(@col)) AS magnitude_@i }}
FROM segsql_features
