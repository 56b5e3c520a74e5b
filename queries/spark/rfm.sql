-- segsql (Spark SQL) built-in recipe `rfm`: the Spark form of queries/features/rfm.sql, the same
-- features (tests/test_spark.py compares them with the DuckDB recipe's, row by row).
-- inputs:     segsql_transactions(segsql_entity, ts, amount)  (queries/spark/transactions*.sql);
--             the feature columns to return, in order ([features.rfm] features)
-- parameters: :as_of       the wall-clock time the features are computed at ('YYYY-MM-DD HH:MM:SS')
--             :has_amount  whether the source has an amount column
--             :trend_days  the window of order_trend, in days
-- output:     one row per entity with a usable transaction on or before :as_of: segsql_entity and
--             the features asked for (see queries/features/rfm.sql for each one's meaning). A day's
--             difference is datediff of calendar dates, as DuckDB's date_diff('day', …) counts
--             midnights; the order days' gaps come from lag() over each entity's distinct days
--             rather than from a sorted list.
WITH usable AS (
    SELECT segsql_entity, ts, amount,
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
           count(DISTINCT days_before)                                        AS order_days,
           count_if(days_before < :trend_days)                                AS recent,
           count_if(days_before >= :trend_days AND days_before < 2 * :trend_days) AS previous
    FROM usable
    GROUP BY segsql_entity
),
gaps AS (
    SELECT segsql_entity, stddev_pop(gap) AS gap_std
    FROM (
        SELECT segsql_entity,
               days_before - lag(days_before) OVER (PARTITION BY segsql_entity ORDER BY days_before) AS gap
        FROM (SELECT DISTINCT segsql_entity, days_before FROM usable) AS segsql_days
    ) AS segsql_gaps
    WHERE gap IS NOT NULL
    GROUP BY segsql_entity
),
recipe AS (
    SELECT p.segsql_entity, recency_days, frequency, monetary, avg_order_value, tenure_days,
           CASE WHEN order_days = 1 THEN CAST(tenure_days AS DOUBLE)
                ELSE CAST(tenure_days - recency_days AS DOUBLE) / (order_days - 1)
           END AS interpurchase_mean_days,
           CASE WHEN order_days = 1 THEN 0.0D ELSE g.gap_std END AS interpurchase_std_days,
           CASE WHEN recent + previous = 0 THEN 0.0D
                ELSE CAST(recent - previous AS DOUBLE) / (recent + previous)
           END AS order_trend
    FROM per_entity AS p
    LEFT JOIN gaps AS g ON p.segsql_entity <=> g.segsql_entity
)
SELECT segsql_entity, {{ columns: @col }}
FROM recipe
