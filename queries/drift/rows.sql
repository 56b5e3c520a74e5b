-- segsql: this run's feature rows when impute = "drop" left the rows with a NULL out: what the
-- previous run's model scores for the outlier share (under the other rules, every row is the
-- run's, and the model reads {{ features }} itself).
-- inputs:  {{ features }}, the features step's relation (segsql_features)
-- output:  TEMP VIEW segsql_drift_rows, {{ features }}'s rows without a NULL feature
CREATE OR REPLACE TEMP VIEW segsql_drift_rows AS
SELECT * FROM {{ features }}
WHERE {{ all: @col IS NOT NULL }}
