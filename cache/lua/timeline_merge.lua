-- Merge entries read from the graph into a timeline: union with what fan-out already pushed, newest
-- first, without duplicates, trimmed to the cap; drops the rebuild sentinel and sets the TTL.
-- Keeps the slot's newest-id mark true (see timeline_push.lua).
-- KEYS[1] the timeline's slot's newest-id mark   KEYS[2] timeline
-- ARGV[1] cap   ARGV[2] ttl seconds   ARGV[3] an id newer than any that exists yet   ARGV[4..] entry ids
local mark_key, key, cap, ttl = KEYS[1], KEYS[2], tonumber(ARGV[1]), tonumber(ARGV[2])
local seen, entries = {}, {}
local function add(value)
  if value ~= '0' and value ~= '-' and not seen[value] then
    seen[value] = true
    entries[#entries + 1] = value
  end
end
for _, value in ipairs(redis.call('LRANGE', key, 0, -1)) do add(value) end
for i = 4, #ARGV do add(ARGV[i]) end
table.sort(entries, function(a, b) return less(b, a) end)
redis.call('DEL', key)
local keep = math.min(#entries, cap)
local step = 500
for first = 1, keep, step do
  redis.call('RPUSH', key, unpack(entries, first, math.min(first + step - 1, keep)))
end
if keep == 0 then
  redis.call('RPUSH', key, '-')          -- an empty but complete timeline: '-' is skipped by readers
end
redis.call('EXPIRE', key, ttl)
-- The mark loses its attempt when the timeline now holds the marking id: that attempt must not push
-- it here again.
local mark = redis.call('GET', mark_key)
local newest = entries[1]
if not mark then
  redis.call('SET', mark_key, newest and newer(newest, ARGV[3]) or ARGV[3])
elseif newest and not less(newest, string.match(mark, '^%d+')) then
  redis.call('SET', mark_key, newest)
end
return keep
