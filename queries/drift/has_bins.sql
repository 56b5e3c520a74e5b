-- segsql: how many of the run's features the previous run left bins for (a run made before
-- feature_bins existed left none: its drift cannot be measured per feature).
-- inputs:     {{ bins }}, the feature_bins table
-- parameters: $previous_run_id; $features, the feature names
-- output:     one row: features
SELECT count(DISTINCT feature) AS features
FROM {{ bins }}
WHERE run_id = $previous_run_id AND list_contains($features, feature)
