-- segsql init: read every instant (a TIMESTAMPTZ column) as a wall-clock time in UTC, the RFM
--              recipe's default [features.rfm] time_zone, whatever the machine's zone is.
-- inputs:  none
-- output:  the connection's TimeZone setting
SET TimeZone = 'UTC'
