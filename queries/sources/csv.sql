-- segsql: a CSV-like source file read with its [sources.X] reader options, as a temporary view.
-- inputs:     {{ sqlglot: reader }}, built by segsql.sources: read_csv(path, delim = …, header = …,
--             quote = …, skip = …, dateformat = …, timestampformat = …, columns = {…}, nullstr = […]),
--             only the options the source sets, named by segsql, every value (the path too) a
--             constant written and quoted by sqlglot.
-- parameters: none: DuckDB cannot prepare DDL.
-- output:     TEMP VIEW {{ name }}: the file's columns as DuckDB reads them with those options.
CREATE OR REPLACE TEMP VIEW {{ name }} AS
SELECT * FROM {{ sqlglot: reader }}
