-- Reads what many completions need to find their tasks, in one call: per completion, the task id its operation
-- key maps to and the hash of the task its message names (the lookups of one read batch, one round trip on a
-- single Redis; the caller reads the mapped task itself in the rare case where the two differ). Each lookup is
-- read on its own: an error in one (a key of the wrong type) is that lookup's reply and the others go on.
-- KEYS: per completion, two keys: the operation key, the named task's hash.
-- Returns one reply per completion, in order: {task id or false, flat hash}, or {'error', message}.
local replies = {}
for i = 0, #KEYS / 2 - 1 do
  local ok, reply = pcall(function()
    return {redis.call('GET', KEYS[i * 2 + 1]), redis.call('HGETALL', KEYS[i * 2 + 2])}
  end)
  if ok then
    replies[i + 1] = reply
  else
    -- The scripting API's pcall hands a failed redis.call's error over as its message (a string).
    replies[i + 1] = {'error', type(reply) == 'table' and (reply.err or 'error') or tostring(reply)}
  end
end
return replies
