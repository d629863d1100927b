-- Creates a task hash (cluster layout: the operation mapping and session index live in other slots and are
-- written after this script succeeds).
-- KEYS[1] task hash
-- ARGV[1] task_id, ARGV[2] session_id, ARGV[3] user_id ('' when anonymous), ARGV[4] tool_call_id,
-- ARGV[5] tool_name, ARGV[6] operation_id, ARGV[7] created_at (ISO), ARGV[8] ttl seconds
-- Returns 1 when created, 0 when a task with this id already exists (nothing written).
--- @include "create-task-hash"
if not createTaskHash(KEYS[1]) then
  return 0
end
return 1
