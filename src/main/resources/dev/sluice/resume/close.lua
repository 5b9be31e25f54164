-- The holder has closed the stream's log: it records how and the number of its last event,
-- and the log is kept for the retention, the stream remembered for as long again (410, then
-- 404). Readers waiting are told.
-- KEYS: meta, alive, log. ARGV: ending, last, retention ms, channel.
if redis.call('HGET', KEYS[1], 'state') == 'running' then
  redis.call('HSET', KEYS[1], 'state', ARGV[1], 'last', ARGV[2])
  redis.call('PEXPIRE', KEYS[1], 2 * tonumber(ARGV[3]))
  redis.call('PEXPIRE', KEYS[3], ARGV[3])
end
redis.call('DEL', KEYS[2])
redis.call('PUBLISH', ARGV[4], 'c')
return 1
