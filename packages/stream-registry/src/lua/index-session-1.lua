-- Adds a task to its session index and drops members older than the TTL, so the set stays small.
-- KEYS[1] session index (sorted set of task ids scored by creation time in ms)
-- ARGV[1] task_id, ARGV[2] created_at in ms, ARGV[3] cutoff in ms, ARGV[4] ttl seconds
-- Returns the number of members left.
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[4])
return redis.call('ZCARD', KEYS[1])
