-- segsql: the table queries/profiles/original.sql fills, one feature at a time.
-- output:  TEMP TABLE segsql_profile_original, empty: segment, i (the feature's position),
--          members, mean, std (population), q (p05, p25, median, p75, p95), min, max, total, n
CREATE OR REPLACE TEMP TABLE segsql_profile_original (
    segment INTEGER, i INTEGER, members BIGINT, mean DOUBLE, std DOUBLE, q DOUBLE[], min DOUBLE,
    max DOUBLE, total DOUBLE, n BIGINT
)
