-- segsql: a table source's fingerprint, to tell two runs' inputs apart (runs.fingerprint).
-- inputs:  {{ name }}, a source view over a table (queries/sources/table.sql).
-- output:  one row: rows (BIGINT), checksum (VARCHAR: 16 hex digits, the sum of DuckDB's hash
--          of every row, modulo 2^64). A sum is order-free, and a duplicated row adds to it
--          (an XOR would cancel out); hash values are DuckDB's, so compare checksums made by
--          one DuckDB version. One full scan of the table.
SELECT count(*) AS rows,
       lower(lpad(to_hex((coalesce(sum(hash(*COLUMNS(*))), 0) % 18446744073709551616)::UBIGINT), 16, '0'))
           AS checksum
FROM {{ name }}
