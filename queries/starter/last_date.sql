-- segsql init: the day of a transactions log's last transaction (its as_of is the day after).
-- inputs:     data; {{ column }}, its date column
-- parameters: $format, the column's form (see starter/date_formats.sql): NULL or a strptime format
-- output:     one row: last_day DATE
SELECT CAST(max(CASE WHEN $format IS NULL THEN try_cast(CAST({{ column }} AS VARCHAR) AS TIMESTAMP)
                     ELSE try_strptime(CAST({{ column }} AS VARCHAR), $format) END) AS DATE) AS last_day
FROM data
