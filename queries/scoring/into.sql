-- segsql: the scored rows as a table in the run database (replaced when it exists).
-- inputs:  segsql_scored (scoring/scored_table.sql)
-- output:  TABLE {{ into }}
CREATE OR REPLACE TABLE {{ into }} AS SELECT * FROM segsql_scored
