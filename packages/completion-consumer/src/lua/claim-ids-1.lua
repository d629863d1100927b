-- Claims named entries that have been idle at least ARGV[3] ms (a backoff that has run out), with their
-- delivery counts. Entries pending but deleted from the stream (trimmed) are acknowledged and reported, so
-- their loss is counted rather than silent.
-- KEYS[1] stream
-- ARGV[1] group
-- ARGV[2] consumer claiming
-- ARGV[3] min idle ms
-- ARGV[4..] entry ids
-- Returns { { {id, fields}, ... }, { delivery count, ... }, { deleted id, ... } }.
--- @include "claim-pending"
local want, deleted = {}, {}
for i = 4, #ARGV do
  local id = ARGV[i]
  local p = redis.call('XPENDING', KEYS[1], ARGV[1], 'IDLE', ARGV[3], id, id, 1)
  if #p > 0 then sortPending(KEYS[1], ARGV[1], id, want, deleted) end
end
if #want == 0 then return { {}, {}, deleted } end
local entries, counts = claimWithCounts(KEYS[1], ARGV[1], ARGV[2], ARGV[3], want)
return { entries, counts, deleted }
