-- Read up to ARGV[2] entries older than ARGV[1] ('' = from the newest) and refresh the TTL.
-- KEYS[1] timeline   KEYS[2] (optional) a key of the same slot whose value comes along (a feed read
-- asks for the reader's cached celebrity list this way: one command instead of two)
-- ARGV[1] before id or ''   ARGV[2] count   ARGV[3] ttl seconds
-- Returns {'missing'} | {'building'} | {'ok', length, id, id, ...} (length: entries in the timeline),
-- preceded by KEYS[2]'s value (false when absent) if KEYS[2] is given. The '0' sentinel at the tail
-- marks a timeline whose rebuild from the graph has begun but not finished.
local key, before, count, ttl = KEYS[1], ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])

local function page()
  if redis.call('EXISTS', key) == 0 then return {'missing'} end
  if redis.call('LINDEX', key, -1) == '0' then return {'building'} end
  redis.call('EXPIRE', key, ttl)
  local result = {'ok', redis.call('LLEN', key)}
  local start = 0
  if before ~= '' then
    local size, step, found = redis.call('LLEN', key), 128, false
    while start < size and not found do
      local part = redis.call('LRANGE', key, start, start + step - 1)
      for offset, value in ipairs(part) do
        if less(value, before) then
          start = start + offset - 1
          found = true
          break
        end
      end
      if not found then start = start + step end
    end
    if not found then return result end
  end
  for _, value in ipairs(redis.call('LRANGE', key, start, start + count - 1)) do
    result[#result + 1] = value
  end
  return result
end

local result = page()
if KEYS[2] then table.insert(result, 1, redis.call('GET', KEYS[2])) end
return result
