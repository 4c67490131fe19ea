-- Refresh ahead of one post-cache value (cache/post_cards.py): put back a card read afresh from the
-- graph in place of the value a reader saw past its freshness stamp, only if that value is still there.
-- KEYS[1] the card's key. ARGV[1] the stamp the reader saw (the value's head up to the stamp's comma,
-- or the whole value of one cached without a stamp), ARGV[2] the new value, ARGV[3] its lifetime in
-- seconds. A stamp is the time of the fill to the millisecond: another fill's value has another.
-- Anything else there means a write forgot the card since (its tombstone, or nothing after the
-- hold-off) or someone filled it anew: the graph read behind ARGV[2] may predate that write, so it is
-- dropped. Returns 1 when replaced, 0 when not.
local current = redis.call('GET', KEYS[1])
local seen = ARGV[1]
if current and string.sub(current, 1, #seen) == seen then
  redis.call('SET', KEYS[1], ARGV[2], 'EX', tonumber(ARGV[3]))
  return 1
end
return 0
