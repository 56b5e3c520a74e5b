-- segsql: per feature, the population stability index of this run's values over the previous
-- run's bins, and the shift of its mean in the previous run's standard deviations.
-- PSI = sum over the previous bins of (a - e) * ln(a / e), a = this run's share of rows in the
-- bin, e = the previous run's; both are floored at $floor first, so that a bin empty on one
-- side adds a large but finite term rather than an infinite one. A bin holds low < v <= high
-- (queries/drift/feature_bins.sql), which is how histogram() counts over the highs.
-- mean_shift = (mean now - mean before) / std before, NULL when the previous std is 0.
-- inputs:     {{ features }} through queries/drift/values.sql; {{ bins }}, the feature_bins
--             table, holding the previous run's bins of every feature (the caller checked);
--             segsql_feature_bins, this run's bins (its means)
-- parameters: $drop, $impute_i (values.sql); $features, the feature names in order;
--             $previous_run_id; $floor; $drift_warn, the PSI from which a row warns
-- output:     rows appended to segsql_drift: psi then mean_shift, per feature in order
INSERT INTO segsql_drift
WITH segsql_values AS (
    {{ include: drift/values }}
), segsql_before AS (
    SELECT feature,
           coalesce(list(high ORDER BY bin) FILTER (WHERE high IS NOT NULL), []::DOUBLE[]) AS edges,
           list(share ORDER BY bin) AS shares, any_value(mean) AS mean, any_value(std) AS std
    FROM {{ bins }}
    WHERE run_id = $previous_run_id
    GROUP BY feature
), segsql_counts AS (
    SELECT {{ columns: map_values(histogram(@col, (SELECT edges FROM segsql_before WHERE feature = $features[@i + 1]))) AS counts_@i }}
    FROM segsql_values
), segsql_by_feature AS (
    SELECT unnest([{{ columns: struct_pack(position := @i, counts := counts_@i) }}], max_depth := 2)
    FROM segsql_counts
), segsql_shares AS (
    SELECT c.position, unnest(c.counts) / list_sum(c.counts) AS a, unnest(b.shares) AS e
    FROM segsql_by_feature AS c
    JOIN segsql_before AS b ON b.feature = $features[c.position + 1]
), segsql_psi AS (
    SELECT position, sum((greatest(a, $floor) - greatest(e, $floor)) * ln(greatest(a, $floor) / greatest(e, $floor))) AS value
    FROM segsql_shares
    GROUP BY position
), segsql_shift AS (
    SELECT b.feature, (n.mean - b.mean) / nullif(b.std, 0) AS value
    FROM segsql_before AS b
    JOIN (SELECT DISTINCT feature, mean FROM segsql_feature_bins) AS n USING (feature)
), segsql_rows AS (
    SELECT $features[position + 1] AS feature, 0 AS kind, 'psi' AS measure, value,
           value >= $drift_warn AS warn
    FROM segsql_psi
    UNION ALL
    SELECT feature, 1 AS kind, 'mean_shift' AS measure, value, false AS warn FROM segsql_shift
)
SELECT $previous_run_id AS previous_run_id, measure, feature, value, warn
FROM segsql_rows
ORDER BY list_position($features, feature), kind
