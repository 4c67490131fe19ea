-- Insert one entry into one timeline, newest first, idempotently, and trim to the cap.
-- KEYS[1] timeline   ARGV[1] entry id   ARGV[2] cap
-- Only an existing timeline is touched: a missing one is rebuilt from the graph when it is next read,
-- so pushing a lone entry would wrongly make it look complete. Returns 1 when inserted, else 0.
local key, id, cap = KEYS[1], ARGV[1], tonumber(ARGV[2])
if redis.call('EXISTS', key) == 0 then return 0 end
if redis.call('LPOS', key, id) then return 0 end
local head = redis.call('LINDEX', key, 0)
if (not head) or less(head, id) then
  redis.call('LPUSH', key, id)           -- the usual case: newer than everything
else
  local size = redis.call('LLEN', key)
  local start, step, placed = 0, 128, false
  while start < size and not placed do
    local part = redis.call('LRANGE', key, start, start + step - 1)
    for _, value in ipairs(part) do
      if less(value, id) then
        redis.call('LINSERT', key, 'BEFORE', value, id)
        placed = true
        break
      end
    end
    start = start + step
  end
  if not placed then
    if size >= cap then return 0 end     -- older than a full timeline: trimming would drop it anyway
    redis.call('RPUSH', key, id)
  end
end
redis.call('LTRIM', key, 0, cap - 1)
return 1
