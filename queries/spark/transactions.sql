-- segsql (Spark SQL): a transactions source mapped to the columns the RFM recipe reads;
-- the Spark form of queries/features/transactions.sql, giving the same rows.
-- inputs:     {{ source }}, a source temp view; its columns {{ entity }}, {{ timestamp }},
--             {{ amount }} named in [features] entity and [features.rfm]
-- parameters: :time_zone  [features.rfm] time_zone
--             :instant    true when the timestamp column is a TIMESTAMP (an instant in Spark)
-- output:     rows (segsql_entity, ts TIMESTAMP_NTZ, amount DOUBLE), made the temp view
--             segsql_transactions by segsql.spark.features. `ts` is a wall-clock time in the
--             time zone: an instant (a TIMESTAMP, or a text with an offset, "…+02:00" or "…Z")
--             is converted there, never through the session's time zone; a TIMESTAMP_NTZ, a
--             DATE or a text without an offset carries no zone and is taken as written.
SELECT {{ entity }} AS segsql_entity,
       CASE WHEN :instant
                 OR regexp_like(CAST({{ timestamp }} AS STRING),
                                '[0-9]:[0-9][0-9](:[0-9][0-9]([.][0-9]+)?)?[ ]*(Z|[+-][0-9][0-9](:?[0-9][0-9])?)$')
            THEN CAST(from_utc_timestamp(to_utc_timestamp(CAST({{ timestamp }} AS TIMESTAMP),
                                                          current_timezone()),
                                         :time_zone) AS TIMESTAMP_NTZ)
            ELSE CAST({{ timestamp }} AS TIMESTAMP_NTZ) END AS ts,
       CAST({{ amount }} AS DOUBLE) AS amount
FROM {{ source }}
