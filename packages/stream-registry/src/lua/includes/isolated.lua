-- isolated(fn): fn's reply, or {'error', message} when it fails (a key of the wrong type, say), so a script that
-- works through many tasks answers for each on its own and one task's error never stops the others. The scripting
-- API's pcall hands a failed redis.call's error over as its message (a string; a table {err = …} on older servers).
local function isolated(fn)
  local ok, reply = pcall(fn)
  if ok then
    return reply
  end
  return {'error', type(reply) == 'table' and (reply.err or 'error') or tostring(reply)}
end
