-- segsql chart: each categorical column's levels, as shares of each segment ([features] categorical).
-- inputs:     {{ schema }}.profiles, {{ schema }}.segment_summary, {{ schema }}.scaler (order)
-- parameters: $run_id
-- output:     segment, label, source_column (the categorical column), level (the level's text;
--             "(other)" for its rarer levels and NULL, a spelling no level may have), position
--             (the indicator column's place in the scaler), share (of the segment at the level:
--             of its weight with a weight), lift (share / the share of all other rows); one row
--             per segment × indicator column, none for a run without categorical features
SELECT p.segment, concat(p.segment, ' · ', s.name) AS label, p.source_column,
       coalesce(p.level, '(other)') AS level, c.position, p.share, p.lift
FROM {{ schema }}.profiles AS p
JOIN {{ schema }}.segment_summary AS s ON s.run_id = p.run_id AND s.segment = p.segment
JOIN {{ schema }}.scaler AS c ON c.run_id = p.run_id AND c.feature = p.feature
WHERE p.run_id = $run_id AND p.source_column IS NOT NULL
ORDER BY c.position, p.segment
