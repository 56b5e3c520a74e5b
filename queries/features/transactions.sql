-- segsql: a transactions source mapped to the columns the built-in recipes read.
-- inputs:  {{ source }}, a source view; its columns {{ entity }}, {{ timestamp }}, {{ amount }}
--          named in [features] entity and [features.rfm].
-- output:  TEMP VIEW segsql_transactions(segsql_entity, ts TIMESTAMP, amount DOUBLE),
--          the entity keeping its own type.
CREATE OR REPLACE TEMP VIEW segsql_transactions AS
SELECT {{ entity }}                   AS segsql_entity,
       CAST({{ timestamp }} AS TIMESTAMP) AS ts,
       CAST({{ amount }} AS DOUBLE)     AS amount
FROM {{ source }}
