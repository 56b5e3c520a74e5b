-- segsql: start a read-only transaction: until it ends, nothing can write to any
-- attached database (a sequence's nextval included); temporary objects can be created.
-- inputs:  none.
-- output:  none.
BEGIN TRANSACTION READ ONLY
