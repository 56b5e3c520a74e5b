-- segsql: each feature's deciles in original units, each bin's share of the run's rows, and
-- the feature's mean and standard deviation: the reference the next run's drift is measured on.
-- A bin holds the values v with low < v <= high; the first bin has no low (NULL), the last
-- no high (NULL), so every later value falls in one bin. The edges are quantile_disc's
-- deciles, which are values of the data: tied deciles are one edge, and an edge at the
-- largest value (which would leave the bin above it empty) is dropped, so every bin holds
-- rows and a constant feature is one bin. The standard deviation is the population one.
-- Two passes over the rows, each feature a column of its own (no unpivot: 5 million rows of
-- (feature, value) sorted or joined cost a million-row run over a second more).
-- inputs:     {{ features }} through queries/drift/values.sql
-- parameters: $drop, $impute_i (values.sql); $features, the feature names in order
-- output:     TEMP TABLE segsql_feature_bins(feature, bin INTEGER from 1, low, high, share,
--             mean, std), in feature then bin order
CREATE OR REPLACE TEMP TABLE segsql_feature_bins AS
WITH segsql_values AS (
    {{ include: drift/values }}
), segsql_stats AS (
    SELECT {{ columns: avg(@col) AS mean_@i, stddev_pop(@col) AS std_@i, list_sort(list_distinct(list_filter(quantile_disc(@col, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]), lambda segsql_edge: segsql_edge < max(@col)))) AS edges_@i }}
    FROM segsql_values
), segsql_counts AS (
    -- histogram(x, edges) counts x <= edge 1, edge 1 < x <= edge 2, …, x > the last edge
    SELECT {{ columns: map_values(histogram(@col, (SELECT edges_@i FROM segsql_stats))) AS counts_@i }}
    FROM segsql_values
), segsql_by_feature AS (
    SELECT unnest([{{ columns: struct_pack(position := @i, mean := mean_@i, std := std_@i, edges := edges_@i, counts := counts_@i) }}], max_depth := 2)
    FROM segsql_stats CROSS JOIN segsql_counts
), segsql_bins AS (
    SELECT position, mean, std, edges, counts, unnest(range(1, len(edges) + 2)) AS bin
    FROM segsql_by_feature
)
SELECT $features[position + 1] AS feature, CAST(bin AS INTEGER) AS bin,
       CASE WHEN bin > 1 THEN edges[bin - 1] END AS low,
       CASE WHEN bin <= len(edges) THEN edges[bin] END AS high,
       counts[bin] / list_sum(counts) AS share, mean, std
FROM segsql_bins
ORDER BY position, bin
