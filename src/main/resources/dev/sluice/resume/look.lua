-- A reader's look at a stream, all at once: its state, its last event when closed, whether its
-- holder is alive, the newest reader's number, whether its log is there, and the entries after
-- an event, up to a count and a byte budget. Renews the reading mark, so the holder sees a
-- reader.
-- KEYS: meta, log, alive, readers, reading.
-- ARGV: after (an event number), count, reading ms, budget (bytes).
-- Answers {} for an unknown stream. Each entry is {id, value}, or {id, size} for a first entry
-- larger than the budget alone, which the reader then reads by itself (XRANGE).
local meta = redis.call('HMGET', KEYS[1], 'state', 'last')
if not meta[1] then
  return {}
end
redis.call('PEXPIRE', KEYS[5], ARGV[3])
local count, budget = tonumber(ARGV[2]), tonumber(ARGV[4])
local entries, bytes, biggest = {}, 0, 0
local from = '(' .. ARGV[1] .. '-0'
-- Fetched a few at a time, fewer as entries grow, so that a look copies little past its budget
-- even when small entries are followed by large ones.
while #entries < count do
  local ask = 1
  if biggest > 0 then
    ask = math.max(1, math.min(16, count - #entries, math.floor((budget - bytes) / biggest)))
  end
  local got = redis.call('XRANGE', KEYS[2], from, '+', 'COUNT', ask)
  if #got == 0 then
    break
  end
  for _, entry in ipairs(got) do
    local size = #entry[2][2]
    if bytes + size > budget then
      if #entries == 0 then
        entries[1] = {entry[1], size}
      end
      count = 0
      break
    end
    bytes = bytes + size
    biggest = math.max(biggest, size)
    entries[#entries + 1] = {entry[1], entry[2][2]}
  end
  from = '(' .. got[#got][1]
end
return {meta[1], meta[2] or '-1', redis.call('EXISTS', KEYS[3]),
  redis.call('GET', KEYS[4]) or '0', redis.call('EXISTS', KEYS[2]), entries}
