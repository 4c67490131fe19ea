-- Record a post's counts as committed, unless a later commit's counts are already recorded.
-- KEYS[1] the post's counts key. ARGV: version, like_count, comment_count, share_count, ttl seconds.
-- The version goes up by one in every transaction that may change a count, under the post's lock, so
-- the largest version is the latest state whatever order the writers' calls arrive in.
-- Stored as "version,likes,comments,shares". Returns 1 when recorded, 0 when older than what is there.
local current = redis.call('GET', KEYS[1])
if current then
  local stored = tonumber(string.match(current, '^(%d+),'))
  if stored and stored >= tonumber(ARGV[1]) then
    return 0
  end
end
redis.call('SET', KEYS[1], ARGV[1] .. ',' .. ARGV[2] .. ',' .. ARGV[3] .. ',' .. ARGV[4], 'EX', tonumber(ARGV[5]))
return 1
