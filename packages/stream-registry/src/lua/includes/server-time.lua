-- serverTimeMs(): the Redis server's clock in ms, so owner leases never depend on the workers' clocks.
local function serverTimeMs()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
