-- segsql init: how many distinct non-NULL values a column has (an entity needs one per row).
-- inputs:  data; {{ column }}
-- output:  one row: n
SELECT count(DISTINCT {{ column }}) AS n FROM data
