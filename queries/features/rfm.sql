-- segsql built-in recipe `rfm`: recency, frequency, monetary value per entity.
-- inputs:     segsql_transactions(segsql_entity, ts, amount)  (queries/features/transactions.sql)
-- parameters: $as_of  the wall-clock time (in [features.rfm] time_zone) the features are
--                     computed at; events after it are not counted (one at exactly $as_of is)
-- output:     one row per entity that has an event on or before $as_of:
--   segsql_entity    the entity id, its own type
--   recency_days     calendar days from the day of the last event to the day of $as_of
--   frequency        number of events (transactions)
--   monetary         total amount
--   avg_order_value  monetary / frequency
--   tenure_days      calendar days from the day of the first event to the day of $as_of
-- A transaction without a timestamp or an amount is left out of every feature (it cannot be
-- placed in time, or priced); segsql.steps.features counts them and says so.
SELECT segsql_entity,
       date_diff('day', max(ts), CAST($as_of AS TIMESTAMP)) AS recency_days,
       count(*)                                            AS frequency,
       sum(amount)                                         AS monetary,
       sum(amount) / count(*)                              AS avg_order_value,
       date_diff('day', min(ts), CAST($as_of AS TIMESTAMP)) AS tenure_days
FROM segsql_transactions
WHERE ts <= CAST($as_of AS TIMESTAMP) AND amount IS NOT NULL
GROUP BY segsql_entity
