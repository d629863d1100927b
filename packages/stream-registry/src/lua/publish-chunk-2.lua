-- Appends one chunk to a running task's stream and refreshes both TTLs.
-- KEYS[1] task hash, KEYS[2] chunk stream
-- ARGV[1] chunk JSON, ARGV[2] approximate MAXLEN, ARGV[3] ttl seconds
-- Returns {'ok', entry id} | {'not_found'} | {'not_running', status}; nothing is written unless 'ok'.
local status = redis.call('HGET', KEYS[1], 'status')
if not status then
  return {'not_found'}
end
if status ~= 'running' then
  return {'not_running', status}
end
local id = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', 'data', ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[3])
return {'ok', id}
