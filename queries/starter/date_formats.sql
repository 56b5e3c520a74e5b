-- segsql init: which columns hold dates, and in which form (a transactions log needs one).
-- inputs:     data; the columns, each tried with one form (a column is listed once per form)
-- parameters: $format_@i, the form column @i is tried with: NULL for what DuckDB casts to a
--             TIMESTAMP by itself (a DATE, a TIMESTAMP, ISO text), else a strptime format applied
--             to the value as text ("%Y%m%d" also needs exactly 8 digits: 19970101)
-- output:     one row: unparsed_@i, the non-NULL values the form does not fit, and given_@i,
--             the non-NULL values, per column and form
SELECT {{ columns: count(@col) FILTER (WHERE (CASE WHEN $format_@i IS NULL THEN try_cast(CAST(@col AS VARCHAR) AS TIMESTAMP) ELSE try_strptime(CAST(@col AS VARCHAR), $format_@i) END) IS NULL OR ($format_@i = '%Y%m%d' AND NOT regexp_full_match(CAST(@col AS VARCHAR), '[0-9]{8}'))) AS unparsed_@i, count(@col) AS given_@i }}
FROM data
