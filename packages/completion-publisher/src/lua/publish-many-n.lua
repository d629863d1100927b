--[[
  Publishes messages to one stream, each at most once per operation within a window.
  KEYS[1] stream; KEYS[i+1] message i's marker (in the stream's slot)
  ARGV[1] marker lifetime (s); ARGV[2] MAXLEN '~', '=' or '' (no cap); ARGV[3] MAXLEN count; ARGV[i+3] message i
  Returns the ids in order: new, or the marker's (also one set in this call: repeats add nothing).
]]
local stream, ttl, cap, count = KEYS[1], ARGV[1], ARGV[2], ARGV[3]
local call = redis.call
local found = call('MGET', unpack(KEYS, 2))
local seen, ids = {}, {}
for i = 1, #found do
  local marker = KEYS[i + 1]
  local id = found[i] or seen[marker]
  if not id then
    if cap == '' then
      id = call('XADD', stream, '*', 'data', ARGV[i + 3])
    else
      id = call('XADD', stream, 'MAXLEN', cap, count, '*', 'data', ARGV[i + 3])
    end
    -- After XADD: a failed XADD leaves no marker answering retries with an id never added.
    call('SET', marker, id, 'EX', ttl)
    seen[marker] = id
  end
  ids[i] = id
end
return ids
