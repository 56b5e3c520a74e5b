-- segsql: a categorical feature a run stores as its text, added to the features table.
-- inputs:  {{ schema }}.features; {{ column }}, the column's name as the feature query gave it
-- output:  the column {{ column }} VARCHAR (NULL in earlier runs' rows)
ALTER TABLE {{ schema }}.features ADD COLUMN IF NOT EXISTS {{ column }} VARCHAR
