-- The holder's beat for one stream it relays: it is alive, and its keys outlive it by the keep
-- time. Answers {stop asked, a reader present anywhere, the newest reader's number}, or {0, 0}
-- once the stream is not running (closed, or lost by a reader that found the holder gone).
-- KEYS: meta, alive, log, readers, reading. ARGV: holder, alive ms, keep ms.
local state = redis.call('HGET', KEYS[1], 'state')
if state ~= 'running' then
  if not state then
    -- Redis did not take the stream's start: its log must not outlive it all the same.
    redis.call('PEXPIRE', KEYS[3], ARGV[3])
  end
  return {0, 0}
end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[3], ARGV[3])
redis.call('PEXPIRE', KEYS[4], ARGV[3])
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
local stop = 0
if redis.call('HEXISTS', KEYS[1], 'stop') == 1 then
  stop = 1
end
return {stop, redis.call('EXISTS', KEYS[5]), tonumber(redis.call('GET', KEYS[4]) or '0')}
