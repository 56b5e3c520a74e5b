-- segsql: an existing table or view as a temporary view named after its config key.
-- inputs:     {{ table }}, possibly schema-qualified.
-- output:     TEMP VIEW {{ name }}, the same columns.
CREATE OR REPLACE TEMP VIEW {{ name }} AS
SELECT * FROM {{ table }}
