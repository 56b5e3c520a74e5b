-- segsql: the current transaction's id. Outside an explicit transaction every statement
-- runs in a transaction of its own, so two calls give two ids; inside one, the same id.
-- inputs:  none.
-- output:  one row, one BIGINT column `id`.
SELECT txid_current() AS id
