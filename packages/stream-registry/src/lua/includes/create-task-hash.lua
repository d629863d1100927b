-- createTaskHash(key): writes a new running task hash at `key` from ARGV[1..8] (task_id, session_id, user_id,
-- tool_call_id, tool_name, operation_id, created_at, ttl seconds) with its TTL. Returns false, writing nothing,
-- when a task with this key already exists.
local function createTaskHash(key)
  if redis.call('EXISTS', key) == 1 then
    return false
  end
  redis.call('HSET', key,
    'task_id', ARGV[1], 'session_id', ARGV[2], 'user_id', ARGV[3], 'tool_call_id', ARGV[4],
    'tool_name', ARGV[5], 'operation_id', ARGV[6], 'status', 'running', 'created_at', ARGV[7])
  redis.call('EXPIRE', key, ARGV[8])
  return true
end
