-- segsql: the population stability index of the segments' shares: the previous run's shares
-- against this run's, by segment number (this run's numbers as the lifecycle step left them).
-- A segment on one side only has share 0 on the other, floored at $floor like every share
-- (queries/drift/features.sql).
-- inputs:     {{ labels }}, this run's labels (segsql_labels); segsql_scaled (segsql_weight
--             with [features] weight); {{ summary }}, the segment_summary table
-- names:      {{ weight }}, what a row weighs: s.segsql_weight with [features] weight, else 1,
--             so that this run's shares are what segment_summary.share holds (of the weight,
--             or of the entities)
-- parameters: $previous_run_id; $floor; $drift_warn
-- output:     one row appended to segsql_drift: segment_share_psi
INSERT INTO segsql_drift
WITH segsql_now AS (
    SELECT l.segment, sum({{ sqlglot: weight }}) / sum(sum({{ sqlglot: weight }})) OVER () AS share
    FROM {{ labels }} AS l
    JOIN segsql_scaled AS s USING (segsql_entity)
    GROUP BY l.segment
), segsql_before AS (
    SELECT segment, share
    FROM {{ summary }}
    WHERE run_id = $previous_run_id
), segsql_shares AS (
    SELECT greatest(coalesce(n.share, 0), $floor) AS a, greatest(coalesce(b.share, 0), $floor) AS e
    FROM segsql_now AS n
    FULL OUTER JOIN segsql_before AS b USING (segment)
), segsql_psi AS (
    SELECT sum((a - e) * ln(a / e)) AS value FROM segsql_shares
)
SELECT $previous_run_id AS previous_run_id, 'segment_share_psi' AS measure, NULL AS feature,
       value, value >= $drift_warn AS warn
FROM segsql_psi
