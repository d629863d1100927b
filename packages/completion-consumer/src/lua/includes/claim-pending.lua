-- sortPending(stream, group, id, want, deleted): a pending id still in the stream joins `want`; one deleted from
-- it (trimmed) is acknowledged and joins `deleted`, so its loss is counted rather than silent.
local function sortPending(stream, group, id, want, deleted)
  if #redis.call('XRANGE', stream, id, id) == 0 then
    redis.call('XACK', stream, group, id)
    deleted[#deleted + 1] = id
  else
    want[#want + 1] = id
  end
end

-- claimWithCounts(stream, group, consumer, minIdle, ids): XCLAIMs `ids` for `consumer` and returns the entries
-- with each one's delivery count (XCLAIM replies without it).
local function claimWithCounts(stream, group, consumer, minIdle, ids)
  local entries = redis.call('XCLAIM', stream, group, consumer, minIdle, unpack(ids))
  local counts = {}
  for i, entry in ipairs(entries) do
    local p = redis.call('XPENDING', stream, group, entry[1], entry[1], 1, consumer)
    counts[i] = (p[1] and p[1][4]) or 1
  end
  return entries, counts
end
