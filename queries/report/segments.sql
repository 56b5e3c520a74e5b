-- segsql report: one card per segment: size, share, name, description, recommendation, and
--            stability when the table has that column (chosen by name, so a database written
--            before it existed still reports; segsql adds it on the next run).
-- inputs:     {{ schema }}.segment_summary
-- parameters: $run_id
-- output:     segment, name, size, share, description, recommendation[, stability]
SELECT COLUMNS(lambda c: c IN ('segment', 'name', 'size', 'share', 'description', 'recommendation',
                               'stability'))
FROM {{ schema }}.segment_summary
WHERE run_id = $run_id
ORDER BY segment
