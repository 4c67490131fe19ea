-- Entries are 64-bit ids as decimal strings (Lua numbers are doubles and would lose precision).
-- For non-negative decimals without leading zeros, a shorter string is a smaller number.
local function less(a, b)
  if #a ~= #b then return #a < #b end
  return a < b
end
local function newer(a, b)
  if less(a, b) then return b end
  return a
end
