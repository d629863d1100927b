-- Reads what many completions need to find their tasks, in one call: per completion, the task id its operation
-- key maps to and the hash of the task its message names (the lookups of one read batch, one round trip on a
-- single Redis; the caller reads the mapped task itself in the rare case where the two differ). Each lookup is
-- read on its own (see includes/isolated.lua).
-- KEYS: per completion, two keys: the operation key, the named task's hash.
-- Returns one reply per completion, in order: {task id or false, flat hash}, or {'error', message}.
--- @include "isolated"
local replies = {}
for i = 0, #KEYS / 2 - 1 do
  replies[i + 1] = isolated(function()
    return {redis.call('GET', KEYS[i * 2 + 1]), redis.call('HGETALL', KEYS[i * 2 + 2])}
  end)
end
return replies
