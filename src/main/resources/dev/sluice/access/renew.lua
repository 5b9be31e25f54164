-- Renews one client's leases held by one instance: each listed lease expires a lease time from
-- now, whether or not it was still there (a stream that outlived a Redis outage counts again).
-- KEYS: the client's leases (sorted set: lease -> expiry). ARGV: lease millis, then lease ids.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local lease = tonumber(ARGV[1])
for i = 2, #ARGV do
  redis.call('ZADD', KEYS[1], now + lease, ARGV[i])
end
redis.call('PEXPIRE', KEYS[1], lease)
return #ARGV - 1
