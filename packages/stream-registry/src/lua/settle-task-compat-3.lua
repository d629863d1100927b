-- Settles a task (see includes/settle-task.lua) and, in the same atomic step, deletes the Python original's
-- running-operation marker of its tool call (compat layout: every key on one Redis).
-- KEYS[1] task hash, KEYS[2] chunk stream, KEYS[3] running-operation marker (`chat:running_operation:<tool_call_id>`)
-- ARGV as settleTask.
-- Returns as settleTask.
--- @include "settle-task"
local outcome = settleTask(KEYS[1], KEYS[2])
if outcome[1] == 'settled' or outcome[1] == 'settled_finished' or outcome[1] == 'resumed' then
  redis.call('DEL', KEYS[3])
end
return outcome
