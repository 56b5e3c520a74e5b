-- segsql: no scaling: centre 0, scale 1 for every feature.
-- inputs:     segsql_features
-- output:     one row; per feature i: center_i = 0, scale_i = 1
SELECT {{ columns: 0.0 AS center_@i, 1.0 AS scale_@i }}
