-- A new reader takes over: it gets the next reader number, marks itself reading, and tells
-- every instance, so that the older reader's connection ends wherever it is.
-- KEYS: readers, reading. ARGV: reading ms, channel.
local reader = redis.call('INCR', KEYS[1])
redis.call('SET', KEYS[2], reader, 'PX', ARGV[1])
redis.call('PUBLISH', ARGV[2], 'r' .. reader)
return reader
