-- segsql (Spark SQL): entities none of whose transactions the RFM recipe can use; the Spark
-- form of queries/features/unusable_entities.sql.
-- inputs:  segsql_transactions(segsql_entity, ts, amount)
-- parameters: :has_amount  whether the source has an amount column (without one a NULL
--              amount leaves nothing out)
-- output:  one row: n_entities
SELECT count(*) AS n_entities
FROM (
    SELECT segsql_entity
    FROM segsql_transactions
    WHERE segsql_entity IS NOT NULL
    GROUP BY segsql_entity
    HAVING count_if(ts IS NOT NULL AND (amount IS NOT NULL OR NOT :has_amount)) = 0
) AS segsql_unusable
