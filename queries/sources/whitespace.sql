-- segsql: a file whose fields are separated by runs of spaces and tabs (a whitespace-aligned
--         table, as CDNOW_master.txt), as a temporary view ([sources.X] delimiter = "whitespace").
-- inputs:     {{ sqlglot: lines }}, the file as one VARCHAR column segsql_line (read_csv with no
--             delimiter and no quoting, its `skip` lines and its header line skipped);
--             {{ sqlglot: row }}, a struct of the named fields: field i of a line is
--             list_extract(segsql_fields, i), cast to its [sources.X] columns type (text without one);
--             {{ sqlglot: n_fields }}, how many fields a line has; {{ sqlglot: file }}, the path.
--             All built by segsql.sources, names and constants quoted by sqlglot.
-- parameters: none: DuckDB cannot prepare DDL.
-- output:     TEMP VIEW {{ name }}, one column per field. Leading and trailing whitespace is not a
--             field; a blank line is no row; a line with another number of fields is an error
--             naming the file and the line, when the view is read.
CREATE OR REPLACE TEMP VIEW {{ name }} AS
SELECT unnest({{ sqlglot: row }})
FROM (
    SELECT CASE WHEN len(segsql_split) = {{ sqlglot: n_fields }} THEN segsql_split
                ELSE error({{ sqlglot: file }} || ': a line has ' || len(segsql_split)
                           || ' fields where the file has ' || {{ sqlglot: n_fields }} || ': '''
                           || segsql_line || '''') END AS segsql_fields
    FROM (
        SELECT string_split_regex(regexp_replace(segsql_line, '^\s+|\s+$', '', 'g'), '\s+') AS segsql_split,
               segsql_line
        FROM {{ sqlglot: lines }}
        WHERE regexp_matches(segsql_line, '\S')
    )
)
