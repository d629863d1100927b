-- Settles a task (see includes/settle-task.lua); cluster layout: the running-operation marker hashes to another
-- slot, so the registry deletes it with its own DEL after this script.
-- KEYS[1] task hash, KEYS[2] chunk stream
-- ARGV as settleTask.
-- Returns as settleTask.
--- @include "settle-task"
return settleTask(KEYS[1], KEYS[2], ARGV)
