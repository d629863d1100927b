-- settleTask(hash, stream): the settle phase of a phased completion (ARGV below). Only a 'running' task is
-- settled, once: the tool chunk is appended and the outcome, result/error and owner are stored in fields the
-- Python original does not read (status stays 'running' until the finish). A task settled by an owner whose
-- lease ran out is taken over: the new owner gets the stored outcome and phase and nothing is appended (so does
-- the same call re-sent after a lost reply).
-- ARGV[1] owner token, ARGV[2] owner lease in ms, ARGV[3] status the finish will set ('completed'|'failed'),
-- ARGV[4] tool chunk JSON, ARGV[5] '1' to store ARGV[6] as result, ARGV[7] '1' to store ARGV[8] as error,
-- ARGV[9] ttl seconds, ARGV[10] approximate MAXLEN, ARGV[11] '1' to finish a task this call settles in the same
-- step (nothing runs between settle and finish: the finish chunk ARGV[13] follows the tool chunk, the status
-- becomes ARGV[3], completed_at ARGV[12], completion_phase 'finished'; a task taken over is resumed, not finished)
-- Returns {'settled', tool chunk entry id} | {'settled_finished', tool chunk entry id, finish entry id} | {'resumed', phase, status, tool chunk entry id, result|false,
-- error|false} | {'busy', ms left of the owner's lease} | {'finished', status} | {'not_found'}.
--- @include "server-time"
local function settleTask(hash, stream)
  local status = redis.call('HGET', hash, 'status')
  if not status then
    return {'not_found'}
  end
  if status ~= 'running' then
    return {'finished', status}
  end
  local phase = redis.call('HGET', hash, 'completion_phase')
  if not phase and ARGV[11] == '1' then
    -- Settle and finish at once: no owner, no lease, one HSET; the result or error is stored with the status.
    local id = redis.call('XADD', stream, 'MAXLEN', '~', ARGV[10], '*', 'data', ARGV[4])
    local finishId = redis.call('XADD', stream, 'MAXLEN', '~', ARGV[10], '*', 'data', ARGV[13])
    local fields = {'status', ARGV[3], 'completed_at', ARGV[12], 'completion_phase', 'finished',
      'completion_status', ARGV[3], 'completion_tool_entry', id}
    if ARGV[5] == '1' then
      table.insert(fields, 'result')
      table.insert(fields, ARGV[6])
    end
    if ARGV[7] == '1' then
      table.insert(fields, 'error')
      table.insert(fields, ARGV[8])
    end
    redis.call('HSET', hash, unpack(fields))
    redis.call('EXPIRE', hash, ARGV[9])
    redis.call('EXPIRE', stream, ARGV[9])
    return {'settled_finished', id, finishId}
  end
  local now = serverTimeMs()
  local leaseUntil = string.format('%d', now + tonumber(ARGV[2]))
  if phase then
    local untilMs = tonumber(redis.call('HGET', hash, 'completion_owner_until') or '0')
    -- The same owner token again is this call re-sent by the client after a lost reply: not someone else's lease.
    if untilMs > now and redis.call('HGET', hash, 'completion_owner') ~= ARGV[1] then
      return {'busy', string.format('%d', untilMs - now)}
    end
    redis.call('HSET', hash, 'completion_owner', ARGV[1], 'completion_owner_until', leaseUntil)
    local f = redis.call('HMGET', hash, 'completion_status', 'completion_tool_entry', 'result', 'error')
    return {'resumed', phase, f[1], f[2], f[3], f[4]}
  end
  local id = redis.call('XADD', stream, 'MAXLEN', '~', ARGV[10], '*', 'data', ARGV[4])
  redis.call('HSET', hash, 'completion_phase', 'settled', 'completion_status', ARGV[3],
    'completion_owner', ARGV[1], 'completion_owner_until', leaseUntil, 'completion_tool_entry', id)
  if ARGV[5] == '1' then
    redis.call('HSET', hash, 'result', ARGV[6])
  end
  if ARGV[7] == '1' then
    redis.call('HSET', hash, 'error', ARGV[8])
  end
  redis.call('EXPIRE', hash, ARGV[9])
  redis.call('EXPIRE', stream, ARGV[9])
  return {'settled', id}
end
