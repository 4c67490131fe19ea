-- Start a rebuild: create the timeline holding only the '0' sentinel, so that fan-outs running during
-- the rebuild land in it (no gap), with a short TTL in case the rebuilder dies.
-- KEYS[1] timeline   ARGV[1] seconds the rebuild may take. Returns 1 when begun, 0 if it already exists.
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('RPUSH', KEYS[1], '0')
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[1]))
return 1
