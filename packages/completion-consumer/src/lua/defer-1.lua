-- Schedules a failed entry's retry: sets its idle time so that it reaches the claim threshold exactly when its
-- backoff runs out (XCLAIM to itself with IDLE and JUSTID, which does not bump the delivery count). Any
-- consumer's claim loop then picks it up, so the retry survives this process dying.
-- KEYS[1] stream
-- ARGV[1] group
-- ARGV[2] consumer that must own the entry
-- ARGV[3] entry id
-- ARGV[4] idle time to set, in ms
-- Returns 1 when scheduled, 0 when the entry is no longer this consumer's.
local owned = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[3], ARGV[3], 1, ARGV[2])
if #owned == 0 then return 0 end
redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[3], 'IDLE', ARGV[4], 'JUSTID')
return 1
