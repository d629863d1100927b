-- settleTask(hash, stream, a): the settle phase of a phased completion; `a` holds the arguments below (ARGV of
-- a one-task script, one task's slice of ARGV in settle-tasks-n). Only a 'running' task is
-- settled, once: the tool chunk is appended and the outcome, result/error and owner are stored in fields the
-- Python original does not read (status stays 'running' until the finish). A task settled by an owner whose
-- lease ran out is taken over: the new owner gets the stored outcome and phase and nothing is appended (so does
-- the same call re-sent after a lost reply).
-- a[1] owner token, a[2] owner lease in ms, a[3] status the finish will set ('completed'|'failed'),
-- a[4] tool chunk JSON, a[5] '1' to store a[6] as result, a[7] '1' to store a[8] as error,
-- a[9] ttl seconds, a[10] approximate MAXLEN, a[11] '1' to finish a task this call settles in the same
-- step (nothing runs between settle and finish: the finish chunk a[13] follows the tool chunk, the status
-- becomes a[3], completed_at a[12], completion_phase 'finished'; a task taken over is resumed, not finished)
-- A settle-and-finish stores its owner token as completion_settled_by, so the same call re-sent after a lost reply
-- answers settled_finished again (with the same entry ids) instead of finished.
-- Returns {'settled', tool chunk entry id} | {'settled_finished', tool chunk entry id, finish entry id} | {'resumed', phase, status, tool chunk entry id, result|false,
-- error|false} | {'busy', ms left of the owner's lease} | {'finished', status} | {'not_found'}.
--- @include "server-time"
local function settleTask(hash, stream, a)
  local state = redis.call('HMGET', hash, 'status', 'completion_phase', 'completion_settled_by',
    'completion_tool_entry', 'completion_finish_entry')
  local status = state[1]
  if not status then
    return {'not_found'}
  end
  if status ~= 'running' then
    -- This very call again (the client re-sent it after a lost reply): the same answer, nothing appended.
    if a[11] == '1' and state[3] == a[1] then
      return {'settled_finished', state[4], state[5]}
    end
    return {'finished', status}
  end
  local phase = state[2]
  if not phase and a[11] == '1' then
    -- Settle and finish at once: no owner, no lease, one HSET; the result or error is stored with the status.
    local id = redis.call('XADD', stream, 'MAXLEN', '~', a[10], '*', 'data', a[4])
    local finishId = redis.call('XADD', stream, 'MAXLEN', '~', a[10], '*', 'data', a[13])
    local fields = {'status', a[3], 'completed_at', a[12], 'completion_phase', 'finished',
      'completion_status', a[3], 'completion_tool_entry', id, 'completion_finish_entry', finishId,
      'completion_settled_by', a[1]}
    if a[5] == '1' then
      table.insert(fields, 'result')
      table.insert(fields, a[6])
    end
    if a[7] == '1' then
      table.insert(fields, 'error')
      table.insert(fields, a[8])
    end
    redis.call('HSET', hash, unpack(fields))
    redis.call('EXPIRE', hash, a[9])
    redis.call('EXPIRE', stream, a[9])
    return {'settled_finished', id, finishId}
  end
  local now = serverTimeMs()
  local leaseUntil = string.format('%d', now + tonumber(a[2]))
  if phase then
    local untilMs = tonumber(redis.call('HGET', hash, 'completion_owner_until') or '0')
    -- The same owner token again is this call re-sent by the client after a lost reply: not someone else's lease.
    if untilMs > now and redis.call('HGET', hash, 'completion_owner') ~= a[1] then
      return {'busy', string.format('%d', untilMs - now)}
    end
    redis.call('HSET', hash, 'completion_owner', a[1], 'completion_owner_until', leaseUntil)
    local f = redis.call('HMGET', hash, 'completion_status', 'completion_tool_entry', 'result', 'error')
    return {'resumed', phase, f[1], f[2], f[3], f[4]}
  end
  local id = redis.call('XADD', stream, 'MAXLEN', '~', a[10], '*', 'data', a[4])
  redis.call('HSET', hash, 'completion_phase', 'settled', 'completion_status', a[3],
    'completion_owner', a[1], 'completion_owner_until', leaseUntil, 'completion_tool_entry', id)
  if a[5] == '1' then
    redis.call('HSET', hash, 'result', a[6])
  end
  if a[7] == '1' then
    redis.call('HSET', hash, 'error', a[8])
  end
  redis.call('EXPIRE', hash, a[9])
  redis.call('EXPIRE', stream, a[9])
  return {'settled', id}
end
