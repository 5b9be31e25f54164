-- Asks the holder to stop a running stream: a mark its beat finds within a second, and a
-- message that reaches it at once. Answers 1 when asked, 0 when the stream is not running.
-- KEYS: meta. ARGV: channel.
if redis.call('HGET', KEYS[1], 'state') ~= 'running' then
  return 0
end
redis.call('HSET', KEYS[1], 'stop', '1')
redis.call('PUBLISH', ARGV[1], 's')
return 1
