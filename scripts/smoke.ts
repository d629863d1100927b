// Smoke check: publish one operation-complete message through a real Redis stream and decode it back.
import { DEFAULT_COMPLETION_STREAM, decode, encode } from '@chat/completion-schema';
import { startRedis } from '@chat/testing';
import { Redis } from 'ioredis';

const server = await startRedis();
const redis = new Redis(server.url);
try {
  const message = {
    operation_id: 'op-smoke-1',
    task_id: 'task-smoke-1',
    success: true,
    result: { agent: { name: 'Summariser' } },
  };
  const id = await redis.xadd(DEFAULT_COMPLETION_STREAM, '*', ...encode(message));
  const entries = await redis.xrange(DEFAULT_COMPLETION_STREAM, id!, id!);
  const decoded = decode(entries[0]?.[1]);
  if (!decoded.ok) throw new Error(`decode failed: ${decoded.error.code}: ${decoded.error.detail}`);
  console.log(`redis-server ${server.url} (pid ${server.pid})`);
  console.log(`XADD ${DEFAULT_COMPLETION_STREAM} → ${id}`);
  console.log(`decoded: ${JSON.stringify(decoded.message)}`);
  console.log('smoke check passed');
} finally {
  redis.disconnect();
  await server.stop({ removeData: true });
}
