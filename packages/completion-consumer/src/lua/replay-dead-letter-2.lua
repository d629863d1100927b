-- Replays one dead letter: re-XADDs the original entry to the source stream and XDELs it from the dead-letter
-- stream, atomically, so a dead letter is never both replayed and kept, nor removed without being replayed.
-- KEYS[1] dead-letter stream
-- KEYS[2] source stream (same hash slot as KEYS[1])
-- ARGV[1] dead-letter entry id
-- ARGV[2] source MAXLEN ~ cap (0 = uncapped)
-- Returns the new source entry id, or false when the dead letter does not exist.
--- @include "add-maxlen"
local found = redis.call('XRANGE', KEYS[1], ARGV[1], ARGV[1])
if #found == 0 then return false end
local fields = found[1][2]
local data, original
for i = 1, #fields, 2 do
  if fields[i] == 'data' then data = fields[i + 1] elseif fields[i] == 'fields' then original = fields[i + 1] end
end
local args = { 'XADD', KEYS[2] }
addMaxLen(args, ARGV[2])
args[#args + 1] = '*'
if data then
  args[#args + 1] = 'data'
  args[#args + 1] = data
elseif original then
  local list = cjson.decode(original)
  if #list == 0 then return redis.error_reply('ERR dead letter ' .. ARGV[1] .. ' has an empty field list') end
  for _, v in ipairs(list) do args[#args + 1] = tostring(v) end
else
  return redis.error_reply('ERR dead letter ' .. ARGV[1] .. ' has neither data nor fields')
end
local id = redis.call(unpack(args))
redis.call('XDEL', KEYS[1], ARGV[1])
return id
