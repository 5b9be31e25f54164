-- A reader has gone: its reading mark goes with it, unless a newer reader's is there.
-- KEYS: reading. ARGV: the reader's number.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
end
return 1
