-- segsql: a run's stage timings, completed once the write-back stage itself has been timed.
-- inputs:     {{ schema }}.runs
-- parameters: $run_id; $timings  JSON object, seconds per stage
-- output:     the run's row in {{ schema }}.runs, `timings` replaced
UPDATE {{ schema }}.runs SET timings = $timings WHERE run_id = $run_id
