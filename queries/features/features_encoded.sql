-- segsql: the feature table with categorical features one-hot encoded and the sample weight.
-- inputs:  segsql_user_features; {{ sqlglot: query }}, built by segsql.steps.features: the
--          entity, each numeric feature CAST to DOUBLE, each categorical's indicator columns
--          (segsql.scoring.replay.indicator: its kept levels are string literals, escaped by
--          sqlglot; a view cannot take parameters), each categorical column as it is (not a
--          feature: a saved model's scoring query reads it), and [features] weight as segsql_weight.
-- output:  TEMP VIEW segsql_features(segsql_entity, <feature> DOUBLE …, <column>=<level> DOUBLE …,
--          <categorical column> … [, segsql_weight DOUBLE]), as queries/features/features.sql
--          plus the indicators.
CREATE OR REPLACE TEMP VIEW segsql_features AS
{{ sqlglot: query }}
