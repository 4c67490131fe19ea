-- Before a like commits: hold the viewer's cached state (readers and fills treat it as not cached) under
-- the write's token, keeping its cutoff and expiry in the mark so that viewer_release.lua can put it back
-- with the like added. No state to hold (absent, forgotten, or held by another write): forget it, as a
-- forget does. The mark expires with the hold-off: a process that dies before releasing leaves nothing.
-- KEYS: vs. ARGV: token, hold-off ms.
-- Returns 1 when held, 0 when forgotten instead.
local current = redis.call('GET', KEYS[1])
if current and current ~= '' and string.sub(current, 1, 1) ~= 'w' then
  local pttl = redis.call('PTTL', KEYS[1])
  if pttl > 0 then
    local now = redis.call('TIME')
    local expires_at = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) + pttl
    redis.call('SET', KEYS[1], 'w' .. ARGV[1] .. ':' .. expires_at .. ':' .. current, 'PX', ARGV[2])
    return 1
  end
end
redis.call('SET', KEYS[1], '', 'PX', ARGV[2])
return 0
