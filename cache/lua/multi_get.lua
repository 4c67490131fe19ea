#!lua flags=allow-cross-slot-keys
-- GET of many keys of one cluster node, whatever their slots: KEYS[1] (declared: it routes the call),
-- then ARGV[1..]. Returns their values in that order (nil for a missing key). A cluster refuses an MGET
-- across slots, and a page's post and profile cards lie in as many slots as there are cards: one MGET
-- per slot was ~60 commands per feed read. A key whose slot is not served here fails the call
-- ("non local key"); the caller then reads per slot. Read only: nothing to undo.
local values = {redis.call('GET', KEYS[1])}
for i = 1, #ARGV do
  values[i + 1] = redis.call('GET', ARGV[i])
end
return values
