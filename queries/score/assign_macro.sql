-- segsql: the SQL interface to scoring, a table macro that scores any table or view holding
-- {{ entity }} and the run's feature columns, with no Python:
--     SELECT * FROM segsql.assign('new_customers');
--     SELECT * FROM segsql.assign('new_customers', run := 3);
-- Created at each write-back, for that run's entity and features; `run` may name another
-- successful run with the same features (default: the latest successful run).
-- inputs:  the table or view named by `tbl` (query_table); {{ schema }}.runs, .scaler,
--          .centroids, .segment_summary
-- output:  MACRO {{ assign }}(tbl, run := NULL) AS TABLE, returning
--          {{ entity }}, segment, segment_name, distance, second_distance, is_outlier
CREATE OR REPLACE MACRO {{ assign }}(tbl, run := NULL) AS TABLE
WITH segsql_score_latest AS (
    SELECT run_id, entity, features FROM {{ schema }}.runs
    WHERE run_id = (SELECT max(run_id) FROM {{ schema }}.runs WHERE status = 'success')
), segsql_score_run AS (
    SELECT CASE
               WHEN r.run_id IS NULL THEN error('segsql.assign: no successful run ' || coalesce(run, 0))
               WHEN r.features IS DISTINCT FROM l.features OR r.entity IS DISTINCT FROM l.entity
                   THEN error('segsql.assign: run ' || run || ' has another entity or other features '
                              || 'than the latest run, which this macro was made for')
               ELSE r.run_id
           END AS run_id
    FROM segsql_score_latest AS l
    LEFT JOIN {{ schema }}.runs AS r ON r.run_id = coalesce(run, l.run_id) AND r.status = 'success'
), segsql_score_model AS (
    {{ include: score/model }}
), segsql_score_input AS (
    SELECT * FROM query_table(tbl)
), segsql_score_scaled AS (
    {{ include: score/scaled }}
)
SELECT * FROM ({{ include: score/nearest }})
