-- What the feed needs to know about one viewer for a page, if the viewer's state is cached.
-- KEYS: vs (state marker: the cutoff id, or "" while forgotten), vl (liked post ids), vh (shared post
-- ids), vx (hidden user ids: blocked either way or muted); all share the viewer's hash tag.
-- ARGV: n (how many post ids follow), post ids..., user ids...
-- Returns false when the state is not cached (absent or forgotten), else
-- {cutoff, liked flags per post, shared flags per post, hidden flags per user}.
local cutoff = redis.call('GET', KEYS[1])
if not cutoff or cutoff == '' or string.sub(cutoff, 1, 1) == 'w' then
  return false  -- not cached, forgotten, or held by a like in flight (viewer_hold.lua)
end
local n = tonumber(ARGV[1])
local posts, users = {}, {}
for i = 2, n + 1 do posts[#posts + 1] = ARGV[i] end
for i = n + 2, #ARGV do users[#users + 1] = ARGV[i] end
local liked, shared, hidden = {}, {}, {}
if #posts > 0 then
  liked = redis.call('SMISMEMBER', KEYS[2], unpack(posts))
  shared = redis.call('SMISMEMBER', KEYS[3], unpack(posts))
end
if #users > 0 then
  hidden = redis.call('SMISMEMBER', KEYS[4], unpack(users))
end
return {cutoff, liked, shared, hidden}
