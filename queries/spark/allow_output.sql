-- segsql (DuckDB SQL): before a user's query is sandboxed (queries/connection/sandbox.sql), the
-- one folder it may read beside the run database under the Spark engine: [spark] output, which
-- the `segments` view reads.
-- inputs:  {{ literal: folder }}, the output folder, with a trailing slash
-- output:  the setting allowed_directories
SET allowed_directories = [{{ literal: folder }}]
