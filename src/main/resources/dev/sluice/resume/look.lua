-- A reader's look at a stream, all at once: its state, its last event when closed, whether its
-- holder is alive, the newest reader's number, whether its log is there, and up to a count of
-- entries after an event. Renews the reading mark, so the holder sees a reader.
-- KEYS: meta, log, alive, readers, reading. ARGV: after (an event number), count, reading ms.
-- Answers {} for an unknown stream.
local meta = redis.call('HMGET', KEYS[1], 'state', 'last')
if not meta[1] then
  return {}
end
redis.call('PEXPIRE', KEYS[5], ARGV[3])
local entries = redis.call('XRANGE', KEYS[2], '(' .. ARGV[1] .. '-0', '+', 'COUNT', ARGV[2])
return {meta[1], meta[2] or '-1', redis.call('EXISTS', KEYS[3]),
  redis.call('GET', KEYS[4]) or '0', redis.call('EXISTS', KEYS[2]), entries}
