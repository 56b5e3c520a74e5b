-- segsql: drop a temporary macro segsql created in a caller's connection.
-- inputs:  {{ name }}, in the temp catalog.
-- output:  none.
DROP MACRO IF EXISTS temp.main.{{ name }}
