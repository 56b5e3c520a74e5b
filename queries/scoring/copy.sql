-- segsql: the scored rows written to a file. DuckDB cannot prepare COPY, so the path and
-- format arrive as literals quoted by segsql.sql.quote_literal.
-- inputs:  segsql_scored (scoring/scored_table.sql)
-- output:  the file at {{ literal: path }}, in {{ literal: format }} (parquet or csv)
COPY segsql_scored TO {{ literal: path }} (FORMAT {{ literal: format }})
