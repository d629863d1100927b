-- Creates a task atomically with its operation mapping and session index entry (compat layout: one Redis).
-- KEYS[1] task hash, KEYS[2] operation -> task id key, KEYS[3] session index (sorted set)
-- ARGV[1] task_id, ARGV[2] session_id, ARGV[3] user_id ('' when anonymous), ARGV[4] tool_call_id,
-- ARGV[5] tool_name, ARGV[6] operation_id, ARGV[7] created_at (ISO), ARGV[8] ttl seconds,
-- ARGV[9] created_at in ms (index score), ARGV[10] index cutoff in ms (older members are dropped)
-- Returns 1 when created, 0 when a task with this id already exists (nothing written).
--- @include "create-task-hash"
if not createTaskHash(KEYS[1]) then
  return 0
end
redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[8])
redis.call('ZADD', KEYS[3], ARGV[9], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', '(' .. ARGV[10])
redis.call('EXPIRE', KEYS[3], ARGV[8])
return 1
