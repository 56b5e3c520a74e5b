-- bench floor: RFM features of the benchmark transactions, log1p and standard-scaled, in entity order.
-- parameters: $path  the transactions Parquet file
-- output:     customer_id, recency_days, frequency, monetary, avg_order_value, tenure_days (scaled DOUBLE)
WITH f AS (
    SELECT customer_id,
           date_diff('day', max(ts), TIMESTAMP '2025-01-01') AS r,
           ln(1 + count(*)) AS f,
           ln(1 + sum(amount)) AS m,
           ln(1 + sum(amount) / count(*)) AS a,
           date_diff('day', min(ts), TIMESTAMP '2025-01-01') AS t
    FROM read_parquet($path)
    WHERE ts <= TIMESTAMP '2025-01-01' AND amount IS NOT NULL
    GROUP BY customer_id
)
SELECT customer_id,
       (r - avg(r) OVER ()) / stddev_pop(r) OVER () AS recency_days,
       (f - avg(f) OVER ()) / stddev_pop(f) OVER () AS frequency,
       (m - avg(m) OVER ()) / stddev_pop(m) OVER () AS monetary,
       (a - avg(a) OVER ()) / stddev_pop(a) OVER () AS avg_order_value,
       (t - avg(t) OVER ()) / stddev_pop(t) OVER () AS tenure_days
FROM f
ORDER BY customer_id
