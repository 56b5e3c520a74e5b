-- segsql publish: the record of what was published, created when missing (README, "Publishing").
-- inputs:     none; {{ schema }} is [project] schema
-- output:     TABLE {{ schema }}.publishes: one row per table published, republishing adds a row.
--             version is the Delta table's version or the Iceberg snapshot id (NULL for Parquet)
CREATE TABLE IF NOT EXISTS {{ schema }}.publishes (
    run_id BIGINT, target VARCHAR, format VARCHAR, table_name VARCHAR, version BIGINT,
    rows BIGINT, published_at TIMESTAMP
)
