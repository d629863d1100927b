-- One fenced step of a settled task's completion: only the current owner (ARGV[1]) of a settled, still running
-- task may append chunks, record a phase or finish it, so a worker that lost its lease cannot write after another
-- took over. Each step renews the owner's lease. A step carries a sequence number: the same step again (a command
-- the client re-sent after a reconnect, whose first run's reply was lost) is answered 'ok' without running twice.
-- KEYS[1] task hash, KEYS[2] chunk stream
-- ARGV[1] owner token, ARGV[2] owner lease in ms, ARGV[3] ttl seconds, ARGV[4] approximate MAXLEN,
-- ARGV[5] step number of this owner ('' for a step that may run twice: a lease renewal),
-- ARGV[6] phase to record ('' keeps it), ARGV[7] finish: '' (not finishing), 'settled' (the settled status),
-- 'completed' or 'failed', ARGV[8] completed_at (ISO), ARGV[9] '1' to store ARGV[10] as error,
-- ARGV[11..] chunk JSONs in order (a finishing step ends with the finish chunk)
-- Returns {'ok', last entry id or '', status} | {'not_owner'} | {'not_running', status} | {'not_found'};
-- nothing is written unless 'ok'.
--- @include "server-time"
local status = redis.call('HGET', KEYS[1], 'status')
if not status then
  return {'not_found'}
end
local step = ARGV[1] .. ':' .. ARGV[5]
if ARGV[5] ~= '' and redis.call('HGET', KEYS[1], 'completion_step') == step then
  return {'ok', '', status}
end
if status ~= 'running' then
  return {'not_running', status}
end
if redis.call('HGET', KEYS[1], 'completion_owner') ~= ARGV[1] then
  return {'not_owner'}
end
local last = ''
for i = 11, #ARGV do
  last = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], '*', 'data', ARGV[i])
end
if ARGV[5] ~= '' then
  redis.call('HSET', KEYS[1], 'completion_step', step)
end
if ARGV[6] ~= '' then
  redis.call('HSET', KEYS[1], 'completion_phase', ARGV[6])
end
if ARGV[7] == '' then
  redis.call('HSET', KEYS[1], 'completion_owner_until',
    string.format('%d', serverTimeMs() + tonumber(ARGV[2])))
else
  local final = ARGV[7]
  if final == 'settled' then
    final = redis.call('HGET', KEYS[1], 'completion_status')
  end
  redis.call('HSET', KEYS[1], 'status', final, 'completed_at', ARGV[8], 'completion_phase', 'finished')
  redis.call('HDEL', KEYS[1], 'completion_owner', 'completion_owner_until')
  if ARGV[9] == '1' then
    redis.call('HSET', KEYS[1], 'error', ARGV[10])
  end
  status = final
end
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[3])
return {'ok', last, status}
