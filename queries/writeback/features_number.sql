-- segsql: a numeric feature (or the sample weight) a run stores, added to the features table.
-- inputs:  {{ schema }}.features; {{ column }}, the feature's name as the feature query gave it
-- output:  the column {{ column }} DOUBLE (NULL in earlier runs' rows)
ALTER TABLE {{ schema }}.features ADD COLUMN IF NOT EXISTS {{ column }} DOUBLE
