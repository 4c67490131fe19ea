-- Insert one entry into each of several timelines, newest first, idempotently, trimmed to the cap.
-- KEYS  the timelines (one call may carry thousands: a standalone Redis runs them in one command; on a
--       cluster the caller groups keys by hash slot)
-- ARGV[1] entry id   ARGV[2] cap
-- Only existing timelines are touched: a missing one is rebuilt from the graph when it is next read,
-- so pushing a lone entry would wrongly make it look complete. Returns how many timelines got it.
local id, cap = ARGV[1], tonumber(ARGV[2])
local inserted = 0
for _, key in ipairs(KEYS) do
  local head = redis.call('LINDEX', key, 0)
  local placed = false
  if not head then
    placed = false                         -- no timeline
  elseif less(head, id) then
    -- The usual case: newer than everything. The list is sorted, so the id cannot be in it yet and
    -- the O(n) duplicate scan below is not needed.
    redis.call('LPUSH', key, id)
    placed = true
  elseif not redis.call('LPOS', key, id) then
    local size = redis.call('LLEN', key)
    local start, step = 0, 128
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
    if not placed and size < cap then      -- older than a full timeline: trimming would drop it anyway
      redis.call('RPUSH', key, id)
      placed = true
    end
  end
  if placed then
    redis.call('LTRIM', key, 0, cap - 1)
    inserted = inserted + 1
  end
end
return inserted
