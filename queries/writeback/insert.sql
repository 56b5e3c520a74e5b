-- segsql: append rows handed over from Python (a registered frame) to an output table.
-- inputs:  {{ frame }}, whose columns are named as the table's
-- output:  rows appended to {{ table }}
INSERT INTO {{ table }} BY NAME SELECT * FROM {{ frame }}
