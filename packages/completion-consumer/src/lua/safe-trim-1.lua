-- Trims a stream only below the oldest entry any consumer group still needs: for every group, the smaller of
-- its oldest pending id and its last-delivered id. Entries below that floor were delivered to and acknowledged
-- by every group, so trimming never removes unprocessed work. Computed and applied atomically.
-- KEYS[1] stream
-- ARGV[1] '1' to add the ACKED option (Redis >= 8.2), '0' otherwise
-- ARGV[2] an upper bound for the threshold ('' for none), e.g. to keep recent acknowledged entries
-- Returns { threshold id or false (nothing trimmed), number of entries removed }.
local function parse(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  return tonumber(ms), tonumber(seq)
end
local function less(a, b)
  local am, as = parse(a)
  local bm, bs = parse(b)
  if am ~= bm then return am < bm end
  return as < bs
end
if redis.call('EXISTS', KEYS[1]) == 0 then return { false, 0 } end
local groups = redis.call('XINFO', 'GROUPS', KEYS[1])
if #groups == 0 then return { false, 0 } end
local floor = nil
for _, g in ipairs(groups) do
  local name, last
  for i = 1, #g, 2 do
    if g[i] == 'name' then name = g[i + 1] elseif g[i] == 'last-delivered-id' then last = g[i + 1] end
  end
  local candidate = last
  local summary = redis.call('XPENDING', KEYS[1], name)
  if summary[1] > 0 and less(summary[2], candidate) then candidate = summary[2] end
  if floor == nil or less(candidate, floor) then floor = candidate end
end
if ARGV[2] ~= '' and less(ARGV[2], floor) then floor = ARGV[2] end
if floor == '0-0' then return { false, 0 } end
local removed
if ARGV[1] == '1' then
  removed = redis.call('XTRIM', KEYS[1], 'MINID', floor, 'ACKED')
else
  removed = redis.call('XTRIM', KEYS[1], 'MINID', floor)
end
return { floor, removed }
