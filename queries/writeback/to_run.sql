-- segsql: the transitions' to_run is the run being written (its id is known only here).
-- inputs:     {{ schema }}.segment_transitions, with this run's rows just appended
-- parameters: $run_id
-- output:     those rows' to_run set
UPDATE {{ schema }}.segment_transitions SET to_run = run_id WHERE run_id = $run_id
