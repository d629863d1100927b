--[[
  Publishes a completion at most once per operation within a window (retry-safe XADD).

  KEYS[1]  the completion stream
  KEYS[2]  the operation's marker key (same hash tag as the stream)
  ARGV[1]  the encoded message (the entry's `data` value)
  ARGV[2]  marker lifetime in seconds
  ARGV[3]  MAXLEN operator: '~' (approximate), '=' (exact) or '' (no cap)
  ARGV[4]  MAXLEN count (ignored when ARGV[3] is '')

  Returns the entry id: the new one, or the first publish's id when the marker already exists.
]]
local first = redis.call('GET', KEYS[2])
if first then
  return first
end

local id
if ARGV[3] == '' then
  id = redis.call('XADD', KEYS[1], '*', 'data', ARGV[1])
else
  id = redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[3], ARGV[4], '*', 'data', ARGV[1])
end
-- The marker is written after XADD succeeds: a failed XADD (e.g. WRONGTYPE) must not leave a marker behind
-- that would make every retry answer with an id that was never added.
redis.call('SET', KEYS[2], id, 'EX', ARGV[2])
return id
