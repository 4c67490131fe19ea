-- After a like committed: put back the state viewer_hold.lua held under this token, with the liked post
-- added (the state covers posts newer than its cutoff only), and its own expiry. If the mark is not this
-- write's any more (another write of the viewer's took over, or the hold-off ran out and a reader may
-- have filled the state from a graph read made before the commit), forget the state instead.
-- KEYS: vs, vl. ARGV: token ('' = forget), liked post id ('' = none), hold-off ms.
-- Returns 1 when put back, 0 when forgotten.
local current = redis.call('GET', KEYS[1])
local prefix = 'w' .. ARGV[1] .. ':'
if ARGV[1] == '' or not current or string.sub(current, 1, #prefix) ~= prefix then
  redis.call('SET', KEYS[1], '', 'PX', ARGV[3])
  return 0
end
local rest = string.sub(current, #prefix + 1)
local sep = string.find(rest, ':', 1, true)
local expires_at, cutoff = tonumber(string.sub(rest, 1, sep - 1)), string.sub(rest, sep + 1)
local now = redis.call('TIME')
local left = expires_at - (tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000))
if left <= 0 then  -- the state's lifetime ended while held
  redis.call('SET', KEYS[1], '', 'PX', ARGV[3])
  return 0
end
if ARGV[2] ~= '' and less(cutoff, ARGV[2]) then
  redis.call('SADD', KEYS[2], ARGV[2])
  if redis.call('PTTL', KEYS[2]) < 0 then redis.call('PEXPIRE', KEYS[2], left) end
end
redis.call('SET', KEYS[1], cutoff, 'PX', left)
return 1
