-- segsql: what the RFM recipe cannot use in a transactions source, and where its data starts.
-- inputs:  segsql_transactions(segsql_entity, ts, amount)  (queries/features/transactions.sql)
-- output:  one row: null_ts (transactions without a timestamp), null_amount (without an
--          amount), usable (with both), first_ts (the earliest usable timestamp, NULL if none)
SELECT count(*) - count(ts)                                 AS null_ts,
       count(*) - count(amount)                             AS null_amount,
       count_if(ts IS NOT NULL AND amount IS NOT NULL)      AS usable,
       min(ts) FILTER (WHERE amount IS NOT NULL)            AS first_ts
FROM segsql_transactions
