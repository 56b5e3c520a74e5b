-- segsql: drop a temporary table macro segsql created in a caller's connection.
-- inputs:  {{ name }}, in the temp catalog.
-- output:  none.
DROP MACRO TABLE IF EXISTS temp.main.{{ name }}
