-- Adds a finished answer's tokens to its client's day (UTC, by the server's clock).
-- KEYS: the client's day (hash: day number, tokens spent). ARGV: tokens.
local time = redis.call('TIME')
local today = math.floor(tonumber(time[1]) / 86400)
if tonumber(redis.call('HGET', KEYS[1], 'day')) ~= today then
  redis.call('HSET', KEYS[1], 'day', today, 'spent', 0)
end
local spent = redis.call('HINCRBY', KEYS[1], 'spent', ARGV[1])
-- Kept through the end of its day, whatever the time zone of whoever reads it.
redis.call('EXPIRE', KEYS[1], 86400 - tonumber(time[1]) % 86400 + 3600)
return spent
