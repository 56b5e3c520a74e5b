-- segsql: the segment summary with each segment's stability (segment_summary.stability).
-- inputs:  segsql_segment_summary (queries/profiles/summary.sql); {{ stability }}, the
--          relation the stability step left (segment, stability)
-- output:  TEMP TABLE segsql_segment_summary replaced by itself plus a `stability` column,
--          in segment order. Without the stability step the column is absent: the
--          write-back (INSERT BY NAME) stores NULL.
CREATE OR REPLACE TEMP TABLE segsql_segment_summary AS
SELECT s.*, st.stability
FROM segsql_segment_summary AS s LEFT JOIN {{ stability }} AS st USING (segment)
ORDER BY s.segment
