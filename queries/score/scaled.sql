-- segsql: the rows to score, preprocessed exactly as the run's training rows were:
-- impute, transform, clip, scale. These are the steps of queries/preprocess/macros.sql,
-- written out because a persistent macro (score/assign_macro.sql) cannot call TEMP macros.
-- A NULL with no impute value is an error naming the column, unless the rule was `drop`:
-- then the row is left out, as in training.
-- inputs:  segsql_score_input ({{ entity }} and the feature columns);
--          segsql_score_model (score/model.sql)
-- output:  segsql_entity, segsql_x DOUBLE[] (the scaled features, in position order)
SELECT segsql_entity,
       [{{ columns: (least(greatest(CASE transform_@i WHEN 'log1p' THEN ln(1 + v_@i) WHEN 'sqrt' THEN sqrt(v_@i) ELSE v_@i END, low_@i), high_@i) - center_@i) / scale_@i }}] AS segsql_x
FROM (
    SELECT i.{{ entity }} AS segsql_entity, m.*,
           {{ columns: coalesce(CAST(i.@col AS DOUBLE), m.impute_@i, error('segsql: feature column ' || m.feature_@i || ' is NULL and the run''s impute rule is ' || m.impute_rule)) AS v_@i }}
    FROM segsql_score_input AS i CROSS JOIN segsql_score_model AS m
    WHERE m.impute_rule <> 'drop' OR ({{ all: i.@col IS NOT NULL }})
)
