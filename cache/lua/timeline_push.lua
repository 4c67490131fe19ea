#!lua flags=allow-cross-slot-keys
-- KEYS[1]   the newest-id mark of these timelines' slot (see below)
-- KEYS[2..] the timelines (one call may carry thousands: a standalone Redis runs them in one command)
-- ARGV[1] entry id   ARGV[2] cap   ARGV[3] an id newer than any that exists yet (clock + skew allowance)
-- ARGV[4] this push attempt's token (non-empty; the calls of one attempt carry disjoint timelines)
-- ARGV[5] trim at: a list longer than this is trimmed back to the cap (cap + slack; see below)
-- ARGV[6..] on a cluster, more slots of the node that serves KEYS' slot, each as: its mark's key, n,
--           then n timeline keys of that slot
-- Only existing timelines are touched: a missing one is rebuilt from the graph when it is next read,
-- so pushing a lone entry would wrongly make it look complete. Returns how many timelines got it.
--
-- On a cluster, a script may declare keys of one slot only, and a fan-out batch of thousands of
-- followers spreads over nearly as many slots: a call per slot cost ~15 us of Redis and ~40 us of
-- client time per insert. So one call per node carries every slot that node serves: the first
-- slot's keys declared (they route the call), the others' passed as arguments, which the
-- allow-cross-slot-keys flag lets a script touch when they are local. Should a slot have moved
-- since the client's map was read, touching its key fails the call ("non local key"), with what
-- came before it applied: the caller then pushes per slot under a new attempt, which reads heads
-- where this attempt went first, so nothing is pushed twice.
--
-- The mark, "<id>:<attempt>", says that no timeline of the slot holds an entry newer than <id>, and
-- none holds <id> itself except where <attempt> put it. This script and timeline_merge keep it so
-- (nothing else adds entries). An id above the mark, or the marking attempt's own id in its next
-- call, is therefore newer than every head and not in these lists yet: it goes straight to the
-- front, one LPUSHX per timeline (which also skips missing ones) instead of reading each head
-- first. That halves Redis's work per insert when pushes come in id order; any other push reads
-- heads. A missing mark (evicted or deleted) is replaced by ARGV[3]: until the clock passes it,
-- pushes read heads.
--
-- Trimming is lazy: a list may grow a slack past the cap before one LTRIM takes it back to the cap.
-- An LTRIM per insert into a full timeline (every insert, for an active user) cost Redis twice the
-- push itself (8.4 against 2.6 us per insert at a cap of 800, slack 64). What lies past the cap is
-- still a complete run of the newest entries, so readers may use it; only the cap bounds what a late
-- arrival may join (older than a full timeline's tail: dropped, trimming would drop it anyway).
local id, cap, attempt, trim_at = ARGV[1], tonumber(ARGV[2]), ARGV[4], tonumber(ARGV[5])
local call = redis.call
local inserted = 0

local function push_careful(key)
  local head = call('LINDEX', key, 0)
  if not head or head == id then
    return                                  -- no timeline, or the entry is there already
  elseif less(head, id) then
    if call('LPUSH', key, id) > trim_at then call('LTRIM', key, 0, cap - 1) end
    inserted = inserted + 1
    return
  end
  -- A late arrival: walk down from the head to its place. The list is sorted, so if the entry is
  -- there already it comes before the first older one; late arrivals are usually near the head, so
  -- the first look is short and each next one longer.
  local start, step = 1, 8
  while true do
    local part = call('LRANGE', key, start, start + step - 1)
    for _, value in ipairs(part) do
      if value == id then return end
      if less(value, id) then
        if call('LINSERT', key, 'BEFORE', value, id) > trim_at then call('LTRIM', key, 0, cap - 1) end
        inserted = inserted + 1
        return
      end
    end
    if #part < step then break end
    start, step = start + step, math.min(step * 4, 512)
  end
  if call('LLEN', key) < cap then           -- older than a full timeline: trimming would drop it anyway
    call('RPUSH', key, id)
    inserted = inserted + 1
  end
end

-- The timelines keys[first..last], all of the slot whose newest-id mark is mark_key.
local function push_slot(mark_key, keys, first, last)
  local mark = call('GET', mark_key)
  local mark_id, mark_attempt
  if mark then mark_id, mark_attempt = string.match(mark, '^(%d+):?(.*)$') end
  if mark and (less(mark_id, id) or (mark_id == id and mark_attempt == attempt)) then
    for i = first, last do
      -- LPUSHX returns the length (0: no timeline).
      local size = call('LPUSHX', keys[i], id)
      if size > 0 then
        inserted = inserted + 1
        if size > trim_at then call('LTRIM', keys[i], 0, cap - 1) end
      end
    end
    if mark_id ~= id then call('SET', mark_key, id .. ':' .. attempt) end
  else
    for i = first, last do push_careful(keys[i]) end
    if not mark then
      call('SET', mark_key, newer(id, ARGV[3]))
    elseif mark_id == id and mark_attempt ~= '' then
      -- Another attempt at the marking id (a redelivery) may have put it where the marking attempt
      -- is yet to go: from now on both read heads.
      call('SET', mark_key, id)
    end
  end
end

push_slot(KEYS[1], KEYS, 2, #KEYS)
local i = 6
while i <= #ARGV do
  local n = tonumber(ARGV[i + 1])
  push_slot(ARGV[i], ARGV, i + 2, i + 1 + n)
  i = i + 2 + n
end
return inserted
