-- Dead-letters one entry: XADD it to the dead-letter stream and XACK it in the source group, atomically, so an
-- entry is never acknowledged without being either handled or dead-lettered.
-- KEYS[1] source stream
-- KEYS[2] dead-letter stream (same hash slot as KEYS[1])
-- ARGV[1] group
-- ARGV[2] source entry id
-- ARGV[3] consumer that must own the entry ('' skips the check)
-- ARGV[4] dead-letter MAXLEN ~ cap (0 = uncapped)
-- ARGV[5..] field, value pairs of the dead-letter entry
-- Returns the dead-letter entry id, or false when the entry is no longer pending for this consumer (another
-- consumer claimed it, or it was already acknowledged), in which case nothing is written.
--- @include "add-maxlen"
if ARGV[3] ~= '' then
  local owned = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[2], ARGV[2], 1, ARGV[3])
  if #owned == 0 then return false end
end
local args = { 'XADD', KEYS[2] }
addMaxLen(args, ARGV[4])
args[#args + 1] = '*'
for i = 5, #ARGV do args[#args + 1] = ARGV[i] end
local id = redis.call(unpack(args))
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
return id
