-- segsql: the first line of a file after $skip lines, read whole (for delimiter = "whitespace":
--         its header, or how many fields its lines have).
-- parameters: $path      the file
--             $skip      lines to skip first
--             $any_line  true: the first line even if blank (a header); false: the first non-blank line
-- output:     at most one row: segsql_line (VARCHAR; NULL for a blank line)
SELECT segsql_line
FROM read_csv($path, columns = {'segsql_line': 'VARCHAR'}, delim = '', quote = '', escape = '',
              header = false, skip = $skip)
WHERE $any_line OR regexp_matches(segsql_line, '\S')
LIMIT 1
