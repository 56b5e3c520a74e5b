-- segsql: lock a connection down for a user's query (`segsql query`), after the run
-- database is attached read-only.
-- inputs:  none.
-- output:  no file can be read or written (COPY, EXPORT DATABASE, ATTACH, read_csv …),
--          no extension installed or loaded, and no setting changed again.
SET enable_external_access = false;
SET autoinstall_known_extensions = false;
SET autoload_known_extensions = false;
SET allow_community_extensions = false;
SET lock_configuration = true
