-- Asks Redis whether the current user may run each command the worker needs, on the worker's real keys, without
-- running any of them (redis.acl_check_cmd, Redis >= 7.0).
-- KEYS: none (nothing is read or written).
-- ARGV: groups of `<n> <command> <arg>...`, one group per check (n counts the command and its args).
-- Returns the 1-based indexes of the denied checks; an error when acl_check_cmd is missing (Redis < 7). A command
-- this server does not have (CLIENT SETINFO before 7.2) is skipped: it fails for every user alike, and the client
-- that sends it (ioredis, on connect) ignores the failure.
local denied = {}
local i = 1
local index = 0
while i <= #ARGV do
  local n = tonumber(ARGV[i])
  index = index + 1
  local known, allowed = pcall(redis.acl_check_cmd, unpack(ARGV, i + 1, i + n))
  if known and not allowed then
    denied[#denied + 1] = index
  end
  i = i + n + 1
end
return denied
