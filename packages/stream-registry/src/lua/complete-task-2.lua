-- Completes a task exactly once: only a 'running' task changes. Appends the given chunks and then the finish
-- chunk, stores status, completed_at and result/error, refreshes both TTLs. Anything else, and a task already
-- settled by a phased completion (settle-task), is left unchanged.
-- KEYS[1] task hash, KEYS[2] chunk stream
-- ARGV[1] new status ('completed'|'failed'), ARGV[2] completed_at (ISO), ARGV[3] ttl seconds,
-- ARGV[4] approximate MAXLEN, ARGV[5] '1' to store ARGV[6] as result, ARGV[7] '1' to store ARGV[8] as error,
-- ARGV[9] finish chunk JSON, ARGV[10..] chunk JSONs in order
-- Returns 1 when this call completed the task, 0 otherwise.
if redis.call('HGET', KEYS[1], 'status') ~= 'running' or redis.call('HEXISTS', KEYS[1], 'completion_phase') == 1 then
  return 0
end
for i = 10, #ARGV do
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], '*', 'data', ARGV[i])
end
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], '*', 'data', ARGV[9])
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'completed_at', ARGV[2])
if ARGV[5] == '1' then
  redis.call('HSET', KEYS[1], 'result', ARGV[6])
end
if ARGV[7] == '1' then
  redis.call('HSET', KEYS[1], 'error', ARGV[8])
end
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[3])
return 1
