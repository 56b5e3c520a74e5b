-- segsql: the preprocessing of one value, as macros, so every query applies it the same way.
-- The steps, in order: impute (replace NULL), transform, clip (winsorize), scale.
-- inputs:  none
-- output:  TEMP MACROs segsql_transform(x, how), segsql_clean(x, impute, how, lo, hi),
--          segsql_scale(x, impute, how, lo, hi, center, scale), and its inverse for centroids
--          segsql_unscale(v, how, center, scale) (clipping cannot be undone).
--          how is 'log1p' | 'sqrt' | 'none'; a NULL lo/hi does not clip (least/greatest skip NULL).
CREATE OR REPLACE TEMP MACRO segsql_transform(x, how) AS
    CASE how WHEN 'log1p' THEN ln(1 + x) WHEN 'sqrt' THEN sqrt(x) ELSE x END;
CREATE OR REPLACE TEMP MACRO segsql_clean(x, impute, how, lo, hi) AS
    least(greatest(segsql_transform(coalesce(x, impute), how), lo), hi);
CREATE OR REPLACE TEMP MACRO segsql_scale(x, impute, how, lo, hi, center, scale) AS
    (segsql_clean(x, impute, how, lo, hi) - center) / scale;
CREATE OR REPLACE TEMP MACRO segsql_unscale(v, how, center, scale) AS
    CASE how WHEN 'log1p' THEN exp(center + scale * v) - 1
             WHEN 'sqrt'  THEN pow(center + scale * v, 2)
             ELSE center + scale * v END;
