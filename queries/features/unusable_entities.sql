-- segsql: entities of a transactions source none of whose transactions the RFM recipe can use
-- (every one lacks a timestamp, or an amount when the source has an amount column): they get
-- no features, so no segment.
-- inputs:     segsql_transactions(segsql_entity, ts, amount)  (queries/features/transactions*.sql)
-- parameters: $has_amount  whether the source has an amount column
-- output:     one row: n_entities
SELECT count(*) AS n_entities
FROM (
    SELECT segsql_entity
    FROM segsql_transactions
    WHERE segsql_entity IS NOT NULL
    GROUP BY segsql_entity
    HAVING count_if(ts IS NOT NULL AND (amount IS NOT NULL OR NOT $has_amount)) = 0
)
