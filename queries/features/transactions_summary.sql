-- segsql: what the RFM recipe cannot use in a transactions source, and where its data starts.
-- inputs:     segsql_transactions(segsql_entity, ts, amount)  (queries/features/transactions*.sql)
-- parameters: $has_amount  whether the source has an amount column; without one a NULL amount
--                          leaves nothing out
-- output:     one row: null_entity (transactions of no entity), null_ts (without a timestamp),
--             null_amount (without an amount; 0 without an amount column), usable (with an
--             entity, a timestamp, and an amount when there is a column for it), first_ts (the
--             earliest usable timestamp, NULL if none)
SELECT count(*) - count(segsql_entity)                                        AS null_entity,
       count(*) - count(ts)                                                   AS null_ts,
       CASE WHEN $has_amount THEN count(*) - count(amount) ELSE 0 END         AS null_amount,
       count_if(segsql_entity IS NOT NULL AND ts IS NOT NULL
                AND (amount IS NOT NULL OR NOT $has_amount))                  AS usable,
       min(ts) FILTER (WHERE segsql_entity IS NOT NULL
                       AND (amount IS NOT NULL OR NOT $has_amount))           AS first_ts
FROM segsql_transactions
