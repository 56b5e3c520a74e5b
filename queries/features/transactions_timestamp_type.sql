-- segsql: the type of a transactions source's timestamp column (to say why it cannot be read as
--         a timestamp: an integer 19970101 needs [features.rfm] timestamp_format).
-- inputs:  {{ source }}, a source view; its column {{ timestamp }}.
-- output:  DESCRIBE's rows for that one column: column_name, column_type, …
DESCRIBE SELECT {{ timestamp }} FROM {{ source }}
