-- segsql: the rows to score, preprocessed (see score/scaled.sql).
-- output:  TEMP VIEW segsql_score_scaled(segsql_entity, segsql_x DOUBLE[])
CREATE OR REPLACE TEMP VIEW segsql_score_scaled AS {{ include: score/scaled }}
