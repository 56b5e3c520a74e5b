-- segsql (Spark SQL) built-in recipe `rfm` when no interpurchase feature is asked for: the
-- features of queries/spark/rfm.sql without its per-entity order days (a DISTINCT and a window
-- over every transaction, its costliest part), so the default recipe is one aggregation.
-- inputs:     segsql_transactions(segsql_entity, ts, amount)  (queries/spark/transactions*.sql);
--             the feature columns to return, in order ([features.rfm] features)
-- parameters: :as_of, :has_amount, :trend_days (as in queries/spark/rfm.sql)
-- output:     one row per entity with a usable transaction on or before :as_of: segsql_entity and
--             the features asked for, of recency_days, frequency, monetary, avg_order_value,
--             tenure_days and order_trend
WITH usable AS (
    SELECT segsql_entity, amount,
           datediff(CAST(CAST(:as_of AS TIMESTAMP_NTZ) AS DATE), CAST(ts AS DATE)) AS days_before
    FROM segsql_transactions
    WHERE ts <= CAST(:as_of AS TIMESTAMP_NTZ) AND (amount IS NOT NULL OR NOT :has_amount)
      AND segsql_entity IS NOT NULL
),
per_entity AS (
    SELECT segsql_entity,
           CAST(min(days_before) AS BIGINT)                                   AS recency_days,
           count(*)                                                           AS frequency,
           sum(amount)                                                        AS monetary,
           sum(amount) / count(*)                                             AS avg_order_value,
           CAST(max(days_before) AS BIGINT)                                   AS tenure_days,
           count_if(days_before < :trend_days)                                AS recent,
           count_if(days_before >= :trend_days AND days_before < 2 * :trend_days) AS previous
    FROM usable
    GROUP BY segsql_entity
)
SELECT segsql_entity,
       {{ columns: @col }}
FROM (
    SELECT *, CASE WHEN recent + previous = 0 THEN 0.0D
                   ELSE CAST(recent - previous AS DOUBLE) / (recent + previous) END AS order_trend
    FROM per_entity
) AS recipe
