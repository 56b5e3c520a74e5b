-- segsql: what a run was made with, to replay its feature recipe on new transactions.
-- inputs:     {{ schema }}.runs
-- parameters: $run_id
-- output:     the run's row: its config (the config file's text, or the JSON of a dict config)
--             and, in databases made since it was recorded, as_of (the recipe's date as the run
--             used it: the config's, or the one `segsql run --as-of` gave)
SELECT * FROM {{ schema }}.runs WHERE run_id = $run_id
