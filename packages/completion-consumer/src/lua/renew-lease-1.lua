-- Renews the lease on entries whose handlers are still running: XCLAIM to the same consumer with JUSTID resets
-- their idle time without bumping the delivery count, so no other consumer claims live work. An entry another
-- consumer already took is left alone (never stolen back) and reported.
-- KEYS[1] stream
-- ARGV[1] group
-- ARGV[2] consumer
-- ARGV[3..] entry ids
-- Returns the ids this consumer no longer owns.
local lost = {}
for i = 3, #ARGV do
  local id = ARGV[i]
  local owned = redis.call('XPENDING', KEYS[1], ARGV[1], id, id, 1, ARGV[2])
  if #owned == 0 then
    lost[#lost + 1] = id
  else
    redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, id, 'JUSTID')
  end
end
return lost
