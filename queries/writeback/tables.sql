-- segsql: the output tables (see DESIGN.md, "Output tables contract"), created when missing.
-- inputs:  none; {{ schema }} is [project] schema.
-- output:  SCHEMA {{ schema }} with tables runs, k_sweep, scaler, centroids, profiles,
--          segment_summary, projection, segment_lineage, segment_transitions, drift,
--          feature_bins, diagnostics (segments is created by writeback/segments_table.sql:
--          its entity column takes the entity's name and type). Columns added after a table
--          first shipped are added to older databases by ALTER TABLE … IF NOT EXISTS.
--          The features table (run × entity, wide: run_id, the entity under its own name and
--          type, then one column per feature in original units, DOUBLE, a categorical column
--          as VARCHAR, the sample weight as DOUBLE) is created by writeback/features_table.sql
--          and gains a column when a run brings a new feature (segsql.steps.writeback).
CREATE SCHEMA IF NOT EXISTS {{ schema }};
CREATE TABLE IF NOT EXISTS {{ schema }}.runs (
    run_id BIGINT PRIMARY KEY, name VARCHAR, started_at TIMESTAMP, finished_at TIMESTAMP,
    status VARCHAR, config_hash VARCHAR, config VARCHAR, config_path VARCHAR,
    entity VARCHAR, features VARCHAR, sources VARCHAR,
    input_rows BIGINT, dropped_rows BIGINT, sweep_rows BIGINT,
    k INTEGER, k_choice VARCHAR, algorithm VARCHAR, scaling VARCHAR,
    inertia DOUBLE, silhouette DOUBLE, n_iter INTEGER,
    timings VARCHAR, warnings VARCHAR, segsql_version VARCHAR
);
CREATE TABLE IF NOT EXISTS {{ schema }}.k_sweep (
    run_id BIGINT, k INTEGER, inertia DOUBLE, silhouette DOUBLE, calinski_harabasz DOUBLE,
    davies_bouldin DOUBLE, smallest_share DOUBLE, chosen BOOLEAN
);
CREATE TABLE IF NOT EXISTS {{ schema }}.scaler (
    run_id BIGINT, feature VARCHAR, position INTEGER, transform VARCHAR, impute_value DOUBLE,
    clip_low DOUBLE, clip_high DOUBLE, center DOUBLE, scale DOUBLE
);
CREATE TABLE IF NOT EXISTS {{ schema }}.centroids (
    run_id BIGINT, segment INTEGER, feature VARCHAR, value_scaled DOUBLE, value DOUBLE
);
CREATE TABLE IF NOT EXISTS {{ schema }}.profiles (
    run_id BIGINT, segment INTEGER, feature VARCHAR, mean DOUBLE, median DOUBLE, std DOUBLE,
    p25 DOUBLE, p75 DOUBLE, overall_mean DOUBLE, z DOUBLE
);
ALTER TABLE {{ schema }}.profiles ADD COLUMN IF NOT EXISTS min DOUBLE;
ALTER TABLE {{ schema }}.profiles ADD COLUMN IF NOT EXISTS p05 DOUBLE;
ALTER TABLE {{ schema }}.profiles ADD COLUMN IF NOT EXISTS p95 DOUBLE;
ALTER TABLE {{ schema }}.profiles ADD COLUMN IF NOT EXISTS max DOUBLE;
ALTER TABLE {{ schema }}.profiles ADD COLUMN IF NOT EXISTS z_model DOUBLE;
CREATE TABLE IF NOT EXISTS {{ schema }}.segment_summary (
    run_id BIGINT, segment INTEGER, size BIGINT, share DOUBLE, name VARCHAR
);
-- columns added since the first release, so databases made before them keep working
ALTER TABLE {{ schema }}.runs ADD COLUMN IF NOT EXISTS impute VARCHAR;
ALTER TABLE {{ schema }}.segment_summary ADD COLUMN IF NOT EXISTS p99_distance DOUBLE;
ALTER TABLE {{ schema }}.segment_summary ADD COLUMN IF NOT EXISTS description VARCHAR;
ALTER TABLE {{ schema }}.segment_summary ADD COLUMN IF NOT EXISTS recommendation VARCHAR;
-- the 2-D map: PCA of the scaled matrix; at most 5,000 seeded sample rows, and the centroids
CREATE TABLE IF NOT EXISTS {{ schema }}.projection (
    run_id BIGINT, kind VARCHAR, entity VARCHAR, segment INTEGER, pc1 DOUBLE, pc2 DOUBLE,
    variance_pc1 DOUBLE, variance_pc2 DOUBLE
);
-- reruns (README, "Reruns"): how this run's segments relate to the previous run's
ALTER TABLE {{ schema }}.runs ADD COLUMN IF NOT EXISTS previous_run_id BIGINT;
ALTER TABLE {{ schema }}.runs ADD COLUMN IF NOT EXISTS as_of TIMESTAMP;
ALTER TABLE {{ schema }}.runs ADD COLUMN IF NOT EXISTS fingerprint VARCHAR;
ALTER TABLE {{ schema }}.segment_summary ADD COLUMN IF NOT EXISTS stability DOUBLE;
-- categorical features and sample weights (README, "Categorical features and weights"): the sum
-- of a segment's weights (NULL without [features] weight); an indicator column's categorical
-- column, level, share of the segment and lift over the rest (NULL for a numeric feature)
ALTER TABLE {{ schema }}.segment_summary ADD COLUMN IF NOT EXISTS weight DOUBLE;
ALTER TABLE {{ schema }}.profiles ADD COLUMN IF NOT EXISTS source_column VARCHAR;
ALTER TABLE {{ schema }}.profiles ADD COLUMN IF NOT EXISTS level VARCHAR;
ALTER TABLE {{ schema }}.profiles ADD COLUMN IF NOT EXISTS share DOUBLE;
ALTER TABLE {{ schema }}.profiles ADD COLUMN IF NOT EXISTS lift DOUBLE;
-- the K sweep's k-means++ starts per K (README, "The K sweep")
ALTER TABLE {{ schema }}.runs ADD COLUMN IF NOT EXISTS sweep_n_init INTEGER;
-- one row per segment of this run (segment NULL: a previous segment that ended)
CREATE TABLE IF NOT EXISTS {{ schema }}.segment_lineage (
    run_id BIGINT, segment INTEGER, previous_run_id BIGINT, previous_segment INTEGER,
    event VARCHAR, centroid_shift DOUBLE, members_kept DOUBLE
);
-- entities from the previous run's segments to this run's (NULL: not in that run)
CREATE TABLE IF NOT EXISTS {{ schema }}.segment_transitions (
    run_id BIGINT, from_run BIGINT, to_run BIGINT, from_segment INTEGER, to_segment INTEGER,
    entities BIGINT, share DOUBLE
);
-- drift against the previous run: measure psi | mean_shift (per feature), segment_share_psi,
-- outlier_share (feature NULL)
CREATE TABLE IF NOT EXISTS {{ schema }}.drift (
    run_id BIGINT, previous_run_id BIGINT, measure VARCHAR, feature VARCHAR, value DOUBLE,
    warn BOOLEAN
);
-- each feature's deciles (in original units) and moments in this run: the next run's drift reference
CREATE TABLE IF NOT EXISTS {{ schema }}.feature_bins (
    run_id BIGINT, feature VARCHAR, bin INTEGER, low DOUBLE, high DOUBLE, share DOUBLE,
    mean DOUBLE, std DOUBLE
);
-- each segment as a SQL rule from a shallow decision tree (README, "Segment rules"), with the
-- share of its members the rule catches (fidelity) and of what it catches that are members
CREATE TABLE IF NOT EXISTS {{ schema }}.segment_rules (
    run_id BIGINT, segment INTEGER, rule_sql VARCHAR, fidelity DOUBLE, precision DOUBLE
);
-- choosing K (README, "Choosing K"): the largest segment's share, whether K meets [model]
-- min_segment_share / max_segment_share, and the criteria that rank K best
-- categorical features and weights (README, "Categorical features and weights"): an indicator
-- column's categorical column and level (NULL: its "(other)" group; both NULL for a numeric
-- feature), the feature weight applied, and the run's sample weight column
ALTER TABLE {{ schema }}.scaler ADD COLUMN IF NOT EXISTS source_column VARCHAR;
ALTER TABLE {{ schema }}.scaler ADD COLUMN IF NOT EXISTS level VARCHAR;
ALTER TABLE {{ schema }}.scaler ADD COLUMN IF NOT EXISTS weight DOUBLE;
ALTER TABLE {{ schema }}.runs ADD COLUMN IF NOT EXISTS weight_column VARCHAR;
ALTER TABLE {{ schema }}.k_sweep ADD COLUMN IF NOT EXISTS largest_share DOUBLE;
ALTER TABLE {{ schema }}.k_sweep ADD COLUMN IF NOT EXISTS meets_constraints BOOLEAN;
ALTER TABLE {{ schema }}.k_sweep ADD COLUMN IF NOT EXISTS preferred_by VARCHAR;
-- diagnostics before fitting (README, "Diagnostics"): per feature, measure skewness |
-- skewness_transformed | variance_share | top_value_share | distinct_values | null_share
-- (other_feature NULL); per pair of features, measure correlation (other_feature the second)
CREATE TABLE IF NOT EXISTS {{ schema }}.diagnostics (
    run_id BIGINT, feature VARCHAR, measure VARCHAR, value DOUBLE, other_feature VARCHAR
);
