--[[
  Publishes messages to one stream, each at most once per operation within a window.
  KEYS[1] stream; KEYS[i+1] message i's marker (in the stream's slot)
  ARGV[1] marker lifetime (s); ARGV[2] MAXLEN '~', '=' or '' (no cap); ARGV[3] MAXLEN count; ARGV[i+3] message i
  Returns the ids in order: new, or the marker's (also one set in this call: repeats add nothing).
]]
local n = #KEYS - 1
local markers = {}
for i = 1, n do markers[i] = KEYS[i + 1] end
local found = redis.call('MGET', unpack(markers))
local seen, ids = {}, {}
for i = 1, n do
  local id = seen[markers[i]] or found[i]
  if not id then
    if ARGV[2] == '' then
      id = redis.call('XADD', KEYS[1], '*', 'data', ARGV[i + 3])
    else
      id = redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[2], ARGV[3], '*', 'data', ARGV[i + 3])
    end
    -- After XADD: a failed XADD leaves no marker answering retries with an id never added.
    redis.call('SET', markers[i], id, 'EX', ARGV[1])
  end
  seen[markers[i]] = id
  ids[i] = id
end
return ids
