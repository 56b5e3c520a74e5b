-- segsql: drop a temporary sequence segsql created in a caller's connection.
-- inputs:  {{ name }}, in the temp catalog.
-- output:  none.
DROP SEQUENCE IF EXISTS temp.main.{{ name }}
