-- segsql built-in recipe `rfm`: recency, frequency, monetary value per entity.
-- inputs:     segsql_transactions(segsql_entity, ts, amount)  (queries/features/transactions.sql)
-- parameters: $as_of  the date the features are computed at; events after it are not counted
--                     (an event at exactly $as_of, midnight, is counted)
-- output:     one row per entity that has an event on or before $as_of:
--   segsql_entity    the entity id, its own type
--   recency_days     days from the last event to $as_of
--   frequency        number of events (transactions)
--   monetary         total amount
--   avg_order_value  monetary / frequency
--   tenure_days      days from the first event to $as_of
SELECT segsql_entity,
       date_diff('day', max(ts), CAST($as_of AS TIMESTAMP)) AS recency_days,
       count(*)                                            AS frequency,
       sum(amount)                                         AS monetary,
       sum(amount) / count(*)                              AS avg_order_value,
       date_diff('day', min(ts), CAST($as_of AS TIMESTAMP)) AS tenure_days
FROM segsql_transactions
WHERE ts <= CAST($as_of AS TIMESTAMP)
GROUP BY segsql_entity
