-- segsql (Spark SQL): what the RFM recipe cannot use, and where the data starts; the Spark
-- form of queries/features/transactions_summary.sql.
-- inputs:  segsql_transactions(segsql_entity, ts, amount)  (queries/spark/transactions.sql)
-- parameters: :has_amount  whether the source has an amount column (without one a NULL
--              amount leaves nothing out)
-- output:  one row: null_entity, null_ts, null_amount, usable, first_ts (NULL if no usable
--          transaction)
SELECT count(*) - count(segsql_entity)                         AS null_entity,
       count(*) - count(ts)                                   AS null_ts,
       CASE WHEN :has_amount THEN count(*) - count(amount) ELSE 0 END AS null_amount,
       count_if(segsql_entity IS NOT NULL AND ts IS NOT NULL
                AND (amount IS NOT NULL OR NOT :has_amount))  AS usable,
       min(ts) FILTER (WHERE segsql_entity IS NOT NULL
                       AND (amount IS NOT NULL OR NOT :has_amount)) AS first_ts
FROM segsql_transactions
