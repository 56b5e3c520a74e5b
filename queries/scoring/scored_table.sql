-- segsql: the scored rows, kept for writing or returning.
-- inputs:  segsql_score_input (the rows to score, checked by segsql score)
-- output:  TEMP TABLE segsql_scored({entity}, segment, segment_name, distance,
--          second_distance, is_outlier), in input order
-- The query is the scoring query of segsql/scoring/replay.py for the run, with its
-- constants written in, rendered by sqlglot (the sqlglot: marker of segsql/sql.py).
CREATE OR REPLACE TEMP TABLE segsql_scored AS {{ sqlglot: replay }}
