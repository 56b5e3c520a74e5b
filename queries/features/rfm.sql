-- segsql built-in recipe `rfm`: recency, frequency, monetary value and more per entity.
-- inputs:     segsql_transactions(segsql_entity, ts, amount)  (queries/features/transactions*.sql);
--             the feature columns to return, in order (the columns marker of segsql/sql.py), from
--             the fixed list below ([features.rfm] features, checked against it at load)
-- parameters: $as_of       the wall-clock time (in [features.rfm] time_zone) the features are
--                          computed at; events after it are not counted (one at exactly $as_of is)
--             $has_amount  whether the source has an amount column ([features.rfm] amount); without
--                          one `amount` is NULL, no transaction is left out for it, and the monetary
--                          features are not asked for
--             $trend_days  the window of order_trend, in days ([features.rfm] trend_days, default 90)
-- output:     one row per entity that has a usable transaction on or before $as_of:
--   segsql_entity            the entity id, its own type
-- and the features asked for, of these:
--   recency_days             calendar days from the day of the last transaction to the day of $as_of
--   frequency                number of transactions
--   monetary                 total amount
--   avg_order_value          monetary / frequency
--   tenure_days              calendar days from the day of the first transaction to the day of $as_of
--   interpurchase_mean_days  the mean of the gaps, in days, between consecutive order days: the
--                            distinct calendar days with a transaction (several transactions on one
--                            day are one order day, so no gap is 0). It is (tenure_days -
--                            recency_days) / (order days - 1). An entity with one order day has no
--                            gap: its value is tenure_days (the days since that day, which have
--                            passed without a second order, a lower bound), so no value is NULL
--   interpurchase_std_days   the population standard deviation of those gaps (0 with one gap;
--                            0 for an entity with one order day)
--   order_trend              (recent - previous) / (recent + previous), in [-1, 1], where recent is
--                            the number of transactions whose day is 0 to $trend_days - 1 days before
--                            the day of $as_of, and previous the number 90 .. 179 days before it (for
--                            $trend_days = 90; generally $trend_days .. 2 * $trend_days - 1); 0 when
--                            both are 0. 1: orders only recently; -1: only in the window before
-- Days are calendar days of the wall-clock `ts` (in the time zone): a day's difference is
-- date_diff('day', ·, ·), the number of midnights between. A transaction without an entity, a
-- timestamp, or an amount when the source has one, is left out of every feature (it cannot be
-- attributed, placed in time, or priced); segsql.steps.features counts them and says so.
WITH usable AS (
    SELECT segsql_entity, ts, amount,
           date_diff('day', ts, CAST($as_of AS TIMESTAMP)) AS days_before
    FROM segsql_transactions
    WHERE ts <= CAST($as_of AS TIMESTAMP) AND (amount IS NOT NULL OR NOT $has_amount)
      AND segsql_entity IS NOT NULL
),
per_entity AS (
    SELECT segsql_entity,
           date_diff('day', max(ts), CAST($as_of AS TIMESTAMP))  AS recency_days,
           count(*)                                             AS frequency,
           sum(amount)                                          AS monetary,
           sum(amount) / count(*)                               AS avg_order_value,
           date_diff('day', min(ts), CAST($as_of AS TIMESTAMP))  AS tenure_days,
           -- the order days, as days before $as_of, ascending (the latest first)
           list_sort(list_distinct(list(days_before)))          AS order_days,
           count_if(days_before < $trend_days)                  AS recent,
           count_if(days_before >= $trend_days AND days_before < 2 * $trend_days) AS previous
    FROM usable
    GROUP BY segsql_entity
),
recipe AS (
    SELECT segsql_entity, recency_days, frequency, monetary, avg_order_value, tenure_days,
           CASE WHEN len(order_days) = 1 THEN CAST(tenure_days AS DOUBLE)
                ELSE CAST(tenure_days - recency_days AS DOUBLE) / (len(order_days) - 1)
           END AS interpurchase_mean_days,
           CASE WHEN len(order_days) = 1 THEN 0.0
                ELSE list_stddev_pop(list_transform(range(1, len(order_days)),
                                                    lambda i: order_days[i + 1] - order_days[i]))
           END AS interpurchase_std_days,
           CASE WHEN recent + previous = 0 THEN 0.0
                ELSE CAST(recent - previous AS DOUBLE) / (recent + previous)
           END AS order_trend
    FROM per_entity
)
SELECT segsql_entity, {{ columns: @col }}
FROM recipe
