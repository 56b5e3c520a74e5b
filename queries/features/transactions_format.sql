-- segsql: a transactions source whose timestamps are parsed with [features.rfm] timestamp_format
--         (transactions.sql, for dates written as digits, 19970101, or as text in another order).
-- inputs:  {{ source }}, a source view; its columns {{ entity }}, {{ timestamp }}; {{ sqlglot: amount }}
--          as in transactions.sql;
--          {{ literal: timestamp_format }}, a strptime format checked by DuckDB at load, and
--          {{ literal: time_zone }}, the validated time_zone (literals: a view cannot take parameters).
-- output:  TEMP VIEW segsql_transactions(segsql_entity, ts TIMESTAMP, amount DOUBLE). The column,
--          whatever its type, is read as text (an integer 19970101 as '19970101') and parsed with
--          strptime: a value the format does not fit is an error naming it and the format. A
--          format with an offset (%z) gives an instant, converted to the time zone; else the
--          parsed time is a wall-clock time taken as written. A NULL stays NULL.
CREATE OR REPLACE TEMP VIEW segsql_transactions AS
SELECT segsql_entity,
       CASE WHEN typeof(segsql_parsed) = 'TIMESTAMP WITH TIME ZONE'
            THEN timezone({{ literal: time_zone }}, CAST(segsql_parsed AS TIMESTAMPTZ))
            ELSE CAST(segsql_parsed AS TIMESTAMP) END AS ts,
       amount
FROM (
    SELECT {{ entity }}                                                               AS segsql_entity,
           strptime(CAST({{ timestamp }} AS VARCHAR), {{ literal: timestamp_format }}) AS segsql_parsed,
           CAST({{ sqlglot: amount }} AS DOUBLE)                                             AS amount
    FROM {{ source }}
)
