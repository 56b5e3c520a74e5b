-- segsql: the diagnostics of a run, left for the write-back (output table diagnostics).
-- inputs:  segsql_diagnostics_in (feature, measure, value, other_feature), from Python
-- output:  TEMP TABLE segsql_diagnostics with the same columns
CREATE OR REPLACE TEMP TABLE segsql_diagnostics AS
SELECT feature, measure, value, other_feature FROM segsql_diagnostics_in
