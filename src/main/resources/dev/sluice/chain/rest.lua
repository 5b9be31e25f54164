-- A key of a route's pool rests until ARGV[2] (epoch milliseconds) unless it rests longer
-- already; the other instances hear it on channel ARGV[3] as message ARGV[5].
-- KEYS[1]: the route's hash of key fingerprint -> rests until. ARGV[1]: the fingerprint;
-- ARGV[4]: the caller's now, so the hash lives as long as its longest rest.
local was = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
local rests = tonumber(ARGV[2])
if rests <= was then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
local left = rests - tonumber(ARGV[4])
if redis.call('PTTL', KEYS[1]) < left then
  redis.call('PEXPIRE', KEYS[1], left)
end
redis.call('PUBLISH', ARGV[3], ARGV[5])
return 1
