-- Cache one viewer's state read from the graph, unless it is already cached or was forgotten since
-- (the tombstone "" on the marker refuses the fill: the graph read may predate the write).
-- KEYS: vs, vl, vh, vx (see viewer_flags.lua).
-- ARGV: ttl seconds, cutoff id, n liked, liked ids..., n shared, shared ids..., hidden user ids...
-- Returns 1 when filled, 0 when refused.
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
local ttl = tonumber(ARGV[1])
redis.call('DEL', KEYS[2], KEYS[3], KEYS[4])
local function add(key, first, last)
  -- SADD in chunks: Lua's unpack has a stack limit of a few thousand values.
  local i = first
  while i <= last do
    local j = math.min(i + 999, last)
    redis.call('SADD', key, unpack(ARGV, i, j))
    i = j + 1
  end
  if last >= first then redis.call('EXPIRE', key, ttl) end
end
local n_liked = tonumber(ARGV[3])
add(KEYS[2], 4, 3 + n_liked)
local at = 4 + n_liked
local n_shared = tonumber(ARGV[at])
add(KEYS[3], at + 1, at + n_shared)
add(KEYS[4], at + n_shared + 1, #ARGV)
redis.call('SET', KEYS[1], ARGV[2], 'EX', ttl)
return 1
