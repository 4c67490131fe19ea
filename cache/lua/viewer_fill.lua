-- Cache one viewer's state read from the graph, unless it is already cached or was forgotten since
-- (the tombstone "" on the marker refuses the fill: the graph read may predate the write); or, for a
-- refresh ahead of expiry, replace the cached state only if its marker is still the one the reader saw
-- (the cutoff id names the fill: a forget's tombstone, an expiry or another fill since refuses it).
-- KEYS: vs, vl, vh, vx (see viewer_flags.lua).
-- ARGV: the marker seen ("" for a fill: only when there is none), ttl seconds, cutoff id, n liked,
-- liked ids..., n shared, shared ids..., hidden user ids...
-- Returns 1 when filled, 0 when refused.
local current = redis.call('GET', KEYS[1])
if ARGV[1] == '' then
  if current then return 0 end
elseif current ~= ARGV[1] then
  return 0
end
local ttl = tonumber(ARGV[2])
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
local n_liked = tonumber(ARGV[4])
add(KEYS[2], 5, 4 + n_liked)
local at = 5 + n_liked
local n_shared = tonumber(ARGV[at])
add(KEYS[3], at + 1, at + n_shared)
add(KEYS[4], at + n_shared + 1, #ARGV)
redis.call('SET', KEYS[1], ARGV[3], 'EX', ttl)
return 1
