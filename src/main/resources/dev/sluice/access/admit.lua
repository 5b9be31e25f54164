-- Admits one request of one client, atomically, in one round trip: its daily budget, its open
-- streams (leases that expire unless renewed) and its requests per minute (a token bucket).
-- KEYS: the client's leases (sorted set: lease -> expiry), bucket (hash), day (hash); one slot.
-- ARGV: max streams, requests per minute, daily tokens (0: no limit), lease id, lease millis.
-- Returns {0, 0} when admitted (the lease is then held), else {why, seconds to wait}: 1 the
-- budget is used up, 2 the streams are all open, 3 the requests per minute are used up.
-- Time is the server's, so instances with clocks apart still agree on the minute and the day.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local today = math.floor(tonumber(time[1]) / 86400)
local streams = tonumber(ARGV[1])
local perMinute = tonumber(ARGV[2])
local daily = tonumber(ARGV[3])
local lease = tonumber(ARGV[5])

if daily > 0 then
  local day = redis.call('HMGET', KEYS[3], 'day', 'spent')
  if tonumber(day[1]) == today and tonumber(day[2] or 0) >= daily then
    return {1, 86400 - tonumber(time[1]) % 86400}
  end
end
if streams > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
  if redis.call('ZCARD', KEYS[1]) >= streams then
    return {2, 1}
  end
end
if perMinute > 0 then
  local bucket = redis.call('HMGET', KEYS[2], 'tokens', 'at')
  local perMilli = perMinute / 60000
  local tokens = perMinute
  if bucket[1] then
    tokens = math.min(perMinute, tonumber(bucket[1]) + (now - tonumber(bucket[2])) * perMilli)
  end
  if tokens < 1 then
    return {3, math.ceil((1 - tokens) / perMilli / 1000)}
  end
  redis.call('HSET', KEYS[2], 'tokens', tostring(tokens - 1), 'at', tostring(now))
  -- A bucket left alone a minute is full again: no need to keep it.
  redis.call('PEXPIRE', KEYS[2], 60000)
end
if streams > 0 then
  redis.call('ZADD', KEYS[1], now + lease, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], lease)
end
return {0, 0}
