-- addMaxLen(args, cap): appends `MAXLEN ~ <cap>` to the XADD argument list `args` when `cap` is a positive number
-- (0 or '' leaves the stream uncapped).
local function addMaxLen(args, cap)
  local n = tonumber(cap)
  if n and n > 0 then
    args[#args + 1] = 'MAXLEN'
    args[#args + 1] = '~'
    args[#args + 1] = cap
  end
end
