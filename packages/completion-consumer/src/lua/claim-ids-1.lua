-- Claims named entries that have been idle at least ARGV[3] ms (a backoff that has run out), with their
-- delivery counts. Entries pending but deleted from the stream (trimmed) are acknowledged and reported, so
-- their loss is counted rather than silent.
-- KEYS[1] stream
-- ARGV[1] group
-- ARGV[2] consumer claiming
-- ARGV[3] min idle ms
-- ARGV[4..] entry ids
-- Returns { { {id, fields}, ... }, { delivery count, ... }, { deleted id, ... } }.
local want, deleted = {}, {}
for i = 4, #ARGV do
  local id = ARGV[i]
  local p = redis.call('XPENDING', KEYS[1], ARGV[1], 'IDLE', ARGV[3], id, id, 1)
  if #p > 0 then
    if #redis.call('XRANGE', KEYS[1], id, id) == 0 then
      redis.call('XACK', KEYS[1], ARGV[1], id)
      deleted[#deleted + 1] = id
    else
      want[#want + 1] = id
    end
  end
end
if #want == 0 then return { {}, {}, deleted } end
local entries = redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[3], unpack(want))
local counts = {}
for i, entry in ipairs(entries) do
  local p = redis.call('XPENDING', KEYS[1], ARGV[1], entry[1], entry[1], 1, ARGV[2])
  counts[i] = (p[1] and p[1][4]) or 1
end
return { entries, counts, deleted }
