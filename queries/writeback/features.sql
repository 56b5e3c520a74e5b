-- segsql: each entity's feature values as the feature query returned them (original units).
-- inputs:     segsql_user_features, the feature query's result, before any imputing,
--             transform, clipping or scaling; {{ source }} its entity column; the columns the
--             run stores (its numeric features, its categorical columns, its sample weight)
-- parameters: $run_id
-- output:     rows appended to {{ schema }}.features (in the feature query's order: sorting a
--             million rows would cost more than writing them): a numeric value is
--             cast to DOUBLE and a categorical one to VARCHAR by the table's column types;
--             a NULL stays NULL; columns this run does not have are NULL in its rows
INSERT INTO {{ schema }}.features BY NAME
SELECT $run_id AS run_id, {{ source }} AS {{ entity }}, {{ columns: @col }}
FROM segsql_user_features
