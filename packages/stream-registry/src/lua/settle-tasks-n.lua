-- Settles many tasks in one call (see includes/settle-task.lua): the settles of one read batch, one round trip on
-- a single Redis. Each task is settled on its own (see includes/isolated.lua), and each task that this call settles, settles and finishes, or takes over also loses its
-- running-operation marker (the Python original's), in the same atomic step.
-- KEYS: per task, three keys: task hash, chunk stream, running-operation marker.
-- ARGV: per task, the 13 arguments of settleTask, in the tasks' order.
-- Returns one reply per task, in order: settleTask's, or {'error', message}.
--- @include "isolated"
--- @include "settle-task"
local PER_TASK = 13
local replies = {}
for i = 0, #KEYS / 3 - 1 do
  local k = i * 3
  replies[i + 1] = isolated(function()
    local outcome = settleTask(KEYS[k + 1], KEYS[k + 2], {unpack(ARGV, i * PER_TASK + 1, (i + 1) * PER_TASK)})
    local state = outcome[1]
    if state == 'settled' or state == 'settled_finished' or state == 'resumed' then
      redis.call('DEL', KEYS[k + 3])
    end
    return outcome
  end)
end
return replies
