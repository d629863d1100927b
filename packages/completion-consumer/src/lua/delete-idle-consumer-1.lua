-- Deletes a consumer only if it still holds no pending entries and is still idle, checked in the same atomic
-- step as the delete, so a consumer that just picked up work is never removed with its entries.
-- KEYS[1] stream
-- ARGV[1] group
-- ARGV[2] consumer
-- ARGV[3] minimum idle ms
-- Returns 1 when deleted, 0 when kept.
local pending = redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2])
if #pending > 0 then return 0 end
local idle = nil
for _, c in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])) do
  local name, value
  for i = 1, #c, 2 do
    if c[i] == 'name' then name = c[i + 1] elseif c[i] == 'idle' then value = c[i + 1] end
  end
  if name == ARGV[2] then idle = value end
end
if idle == nil or idle < tonumber(ARGV[3]) then return 0 end
redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
return 1
