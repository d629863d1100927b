-- Re-reads this consumer's own pending entries (XREADGROUP from an id, not '>') with their delivery counts, so
-- a restarted consumer with a stable name resumes its work at once. Entries deleted from the stream while
-- pending come back without fields: they are acknowledged here and reported as lost.
-- KEYS[1] stream
-- ARGV[1] group
-- ARGV[2] consumer
-- ARGV[3] COUNT
-- ARGV[4] start id (exclusive position after the last one seen; '0' first)
-- Returns { { {id, fields}, ... }, { delivery count, ... }, { deleted id, ... }, last id seen or false }.
local res = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', ARGV[3], 'STREAMS', KEYS[1], ARGV[4])
local entries, counts, deleted = {}, {}, {}
local last = false
if res and res[1] then
  for _, entry in ipairs(res[1][2]) do
    last = entry[1]
    if entry[2] then
      local p = redis.call('XPENDING', KEYS[1], ARGV[1], entry[1], entry[1], 1, ARGV[2])
      entries[#entries + 1] = entry
      counts[#counts + 1] = (p[1] and p[1][4]) or 1
    else
      redis.call('XACK', KEYS[1], ARGV[1], entry[1])
      deleted[#deleted + 1] = entry[1]
    end
  end
end
return { entries, counts, deleted, last }
