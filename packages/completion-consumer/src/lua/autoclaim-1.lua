-- One step of the XAUTOCLAIM cursor walk, returning the delivery count of every claimed entry (XAUTOCLAIM
-- itself does not), so the delivery limit can be enforced without another round trip.
-- KEYS[1] stream
-- ARGV[1] group
-- ARGV[2] consumer claiming
-- ARGV[3] min idle ms
-- ARGV[4] cursor (start id)
-- ARGV[5] COUNT
-- Returns { next cursor, { {id, fields}, ... }, { deleted id, ... }, { delivery count, ... } }.
local res = redis.call('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4], 'COUNT', ARGV[5])
local counts = {}
for i, entry in ipairs(res[2]) do
  local p = redis.call('XPENDING', KEYS[1], ARGV[1], entry[1], entry[1], 1, ARGV[2])
  counts[i] = (p[1] and p[1][4]) or 1
end
return { res[1], res[2], res[3] or {}, counts }
