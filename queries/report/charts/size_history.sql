-- segsql chart: segment sizes across runs: every successful run of the same entity and
--            features (the runs a rerun is compared along, lifecycle/previous_run.sql) up to
--            and including the run, so the report of an old run reads as it did then.
-- inputs:     {{ schema }}.runs, {{ schema }}.segment_summary
-- parameters: $run_id
-- output:     run_id, run_label ("run <id>", and " · <as_of date>" when the run has one),
--             segment, label ("<segment> · <its name in the latest of these runs>", one
--             series per segment number), name (its name in that run), size, share;
--             one row per run × segment, oldest run first
WITH this AS (
    SELECT entity, features FROM {{ schema }}.runs WHERE run_id = $run_id
), history AS (
    SELECT r.run_id, r.as_of
    FROM {{ schema }}.runs AS r, this
    WHERE r.status = 'success' AND r.entity = this.entity AND r.features = this.features
      AND r.run_id <= $run_id
), sizes AS (
    SELECT h.run_id, h.as_of, s.segment, s.name, s.size, s.share
    FROM history AS h
    JOIN {{ schema }}.segment_summary AS s ON s.run_id = h.run_id
), latest_names AS (
    SELECT segment, arg_max(name, run_id) AS name FROM sizes GROUP BY segment
)
SELECT s.run_id,
       concat('run ', s.run_id, ' · ' || strftime(s.as_of, '%Y-%m-%d')) AS run_label,
       s.segment, concat_ws(' · ', s.segment, l.name) AS label, s.name, s.size, s.share
FROM sizes AS s
JOIN latest_names AS l ON l.segment = s.segment
ORDER BY s.run_id, s.segment
