-- A new resumable stream held by one instance: its owner, route, holder and state, and the
-- holder's liveness key; with a client attached from the start, that client is reader 1.
-- KEYS: meta (hash), alive, readers (counter), reading (the current reader).
-- ARGV: owner ('' for none), route, holder, attached (1 or 0), alive ms, keep ms, reading ms.
redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'route', ARGV[2], 'holder', ARGV[3],
  'state', 'running')
redis.call('PEXPIRE', KEYS[1], ARGV[6])
redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[5])
redis.call('SET', KEYS[3], ARGV[4], 'PX', ARGV[6])
if ARGV[4] == '1' then
  redis.call('SET', KEYS[4], '1', 'PX', ARGV[7])
end
return 1
