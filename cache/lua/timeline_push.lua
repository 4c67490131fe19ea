-- Insert one entry into each of several timelines, newest first, idempotently, trimmed to the cap.
-- KEYS  the timelines (one call may carry thousands: a standalone Redis runs them in one command; on a
--       cluster the caller groups keys by hash slot)
-- ARGV[1] entry id   ARGV[2] cap
-- Only existing timelines are touched: a missing one is rebuilt from the graph when it is next read,
-- so pushing a lone entry would wrongly make it look complete. Returns how many timelines got it.
local id, cap = ARGV[1], tonumber(ARGV[2])
local call = redis.call
local inserted = 0
for _, key in ipairs(KEYS) do
  local head = call('LINDEX', key, 0)
  if not head then
    -- no timeline
  elseif less(head, id) then
    -- The usual case: newer than everything. The list is sorted, so the id cannot be in it yet and
    -- the O(n) duplicate scan below is not needed. LPUSH returns the length: trim only past the cap
    -- (an LTRIM per insert was a third of the script's cost, each write also goes to the AOF).
    if call('LPUSH', key, id) > cap then
      call('LTRIM', key, 0, cap - 1)
    end
    inserted = inserted + 1
  elseif not call('LPOS', key, id) then
    local placed = false
    local size = call('LLEN', key)
    local start, step = 0, 128
    while start < size and not placed do
      local part = call('LRANGE', key, start, start + step - 1)
      for _, value in ipairs(part) do
        if less(value, id) then
          call('LINSERT', key, 'BEFORE', value, id)
          placed = true
          break
        end
      end
      start = start + step
    end
    if not placed and size < cap then      -- older than a full timeline: trimming would drop it anyway
      call('RPUSH', key, id)
      placed = true
    end
    if placed then
      call('LTRIM', key, 0, cap - 1)
      inserted = inserted + 1
    end
  end
end
return inserted
