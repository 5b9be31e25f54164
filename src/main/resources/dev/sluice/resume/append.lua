-- A batch of appends, in the order sent: each entry goes to its stream's log, trimmed to about
-- the most entries a log keeps, and each stream followed by a reader is announced on its
-- channel once, after its entries. Answers, per entry, 1 when the log took it, else 0.
-- KEYS: each entry's log. ARGV: the most entries a log keeps, then per entry its id, its field
-- lines and the channel to announce it on ('' for none).
local taken, told = {}, {}
for i = 1, #KEYS do
  local at = 2 + (i - 1) * 3
  local added = redis.pcall('XADD', KEYS[i], 'MAXLEN', '~', ARGV[1], ARGV[at], 'f',
    ARGV[at + 1])
  taken[i] = (type(added) == 'table' and added.err) and 0 or 1
  local channel = ARGV[at + 2]
  if channel ~= '' and not told[channel] then
    told[channel] = true
    told[#told + 1] = channel
  end
end
for _, channel in ipairs(told) do
  redis.call('PUBLISH', channel, 'e')
end
return taken
