-- A reader found the stream running but its holder's liveness key gone (the instance died):
-- the log ends with the given events (an error saying so, then the dialect's end) after its
-- last entry, once, whichever reader comes first. Answers the last event's number, or 0 when
-- the stream was not lost (closed meanwhile, or its holder alive).
-- KEYS: meta, alive, log. ARGV: retention ms, channel, then each event's field lines.
if redis.call('HGET', KEYS[1], 'state') ~= 'running' or redis.call('EXISTS', KEYS[2]) == 1 then
  return 0
end
local n = 0
local top = redis.call('XREVRANGE', KEYS[3], '+', '-', 'COUNT', 1)
if #top > 0 then
  n = tonumber(string.match(top[1][1], '^(%d+)'))
end
for i = 3, #ARGV do
  n = n + 1
  redis.call('XADD', KEYS[3], n .. '-0', 'f', ARGV[i])
end
redis.call('HSET', KEYS[1], 'state', 'lost', 'last', n)
redis.call('PEXPIRE', KEYS[1], 2 * tonumber(ARGV[1]))
redis.call('PEXPIRE', KEYS[3], ARGV[1])
redis.call('PUBLISH', ARGV[2], 'c')
return n
