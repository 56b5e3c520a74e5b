-- segsql init: the columns of the data file and their types.
-- inputs:  data, the file as a view
-- output:  column_name, column_type
SELECT column_name, column_type FROM (DESCRIBE data)
