-- segsql: a transactions source mapped to the columns the built-in recipes read.
-- inputs:  {{ source }}, a source view; its columns {{ entity }}, {{ timestamp }}, and the amount
--          {{ sqlglot: amount }} (the quoted [features.rfm] amount column, or NULL without one)
--          named in [features] entity and [features.rfm]; {{ literal: time_zone }}, the
--          validated [features.rfm] time_zone (a literal: a view cannot take parameters).
--          Variant: transactions_format.sql (a timestamp_format).
-- output:  TEMP VIEW segsql_transactions(segsql_entity, ts TIMESTAMP, amount DOUBLE),
--          the entity keeping its own type. `ts` is a wall-clock time in the time zone: a
--          TIMESTAMPTZ (or a text with an offset, "…T10:00:00+02:00" or "…Z") is an instant,
--          converted there, never through the session's TimeZone (the machine's zone), so the
--          same data gives the same days on every machine; a TIMESTAMP, a DATE or a text
--          without an offset carries no zone and is taken as written. An integer column is
--          refused when the view is made (segsql says to give a timestamp_format).
CREATE OR REPLACE TEMP VIEW segsql_transactions AS
SELECT {{ entity }}                   AS segsql_entity,
       CASE WHEN typeof({{ timestamp }}) = 'TIMESTAMP WITH TIME ZONE'
                 OR (typeof({{ timestamp }}) = 'VARCHAR'
                     AND regexp_matches(CAST({{ timestamp }} AS VARCHAR),
                                        '\d:\d\d(:\d\d(\.\d+)?)?\s*(Z|[+-]\d\d(:?\d\d)?)$'))
            THEN timezone({{ literal: time_zone }}, CAST({{ timestamp }} AS TIMESTAMPTZ))
            -- a DATE: coalesce keeps DuckDB from pushing the cast into its CSV reader, which would
            -- parse the file's text as a timestamp, ignoring the date format it detected or was given
            WHEN typeof({{ timestamp }}) = 'DATE' THEN CAST(coalesce({{ timestamp }}, NULL) AS TIMESTAMP)
            ELSE CAST({{ timestamp }} AS TIMESTAMP) END AS ts,
       CAST({{ sqlglot: amount }} AS DOUBLE)   AS amount
FROM {{ source }}
