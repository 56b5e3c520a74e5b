-- segsql: the scaled features with their row numbers, for the model.
-- inputs:  segsql_scaled
-- output:  segsql_row, then one DOUBLE column per feature, in config order, in no particular
--          row order: segsql/steps/matrix.py puts row r at position segsql_row = r (cheaper than a sort).
SELECT segsql_row, {{ columns: @col }} FROM segsql_scaled
