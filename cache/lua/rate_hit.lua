-- Count one action in a fixed window. KEYS[1] the user's counter for this window; ARGV[1] its TTL.
-- One script instead of INCR + EXPIRE: one command per request, and no counter left without a TTL.
-- Returns the count so far in the window.
local count = redis.call('INCR', KEYS[1])
if count == 1 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
end
return count
