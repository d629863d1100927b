-- Reads what detecting entries trimmed before a group read them needs, in one call and without sending any entry
-- back (XINFO STREAM carries the first and last entries' fields, up to 1 MiB each).
-- KEYS[1] stream
-- ARGV[1] group
-- Returns false when the stream or the group does not exist, else
-- { length, first entry id or false (empty stream), last-generated-id, entries-added or false (Redis < 7.0),
--   the group's last-delivered-id, the group's entries-read or false (unknown or Redis < 7.0) }.
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local stream = redis.call('XINFO', 'STREAM', KEYS[1])
local length, first, last, added = 0, false, '0-0', false
for i = 1, #stream, 2 do
  local key, value = stream[i], stream[i + 1]
  if key == 'length' then length = value
  elseif key == 'first-entry' then first = value and value[1] or false
  elseif key == 'last-generated-id' then last = value
  elseif key == 'entries-added' then added = value
  end
end
for _, g in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
  local name, delivered, read = nil, nil, false
  for i = 1, #g, 2 do
    if g[i] == 'name' then name = g[i + 1]
    elseif g[i] == 'last-delivered-id' then delivered = g[i + 1]
    elseif g[i] == 'entries-read' then read = g[i + 1]
    end
  end
  if name == ARGV[1] then return { length, first, last, added, delivered, read } end
end
return false
