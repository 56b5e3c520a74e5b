-- segsql: read nothing, but bind a view, so that a missing column is reported now.
-- inputs:  {{ view }}
-- output:  no rows.
SELECT * FROM {{ view }} LIMIT 0
