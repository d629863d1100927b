import { readdirSync, readFileSync } from 'node:fs';
import { decode, SCHEMA_VERSION } from '@chat/completion-schema';
import { uniquePrefix } from '@chat/testing';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createPublisher, DEFAULT_PUBLISHER_OPTIONS } from '../src/index.js';
import { readData } from './helpers.js';

const fixtureDir = new URL('../../completion-schema/test/fixtures/python/', import.meta.url);
/** Exact `model_dump_json()` output of the Python original's model. */
const fixtures = readdirSync(fixtureDir)
  .filter((name) => name.endsWith('.json'))
  .map((name) => ({ name, json: readFileSync(new URL(name, fixtureDir), 'utf8') }));

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('publish', () => {
  const redis = new Redis(inject('redisUrl'));
  afterAll(() => redis.quit());

  it('has the Python fixtures to compare with', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(4);
  });

  for (const { name, json } of fixtures) {
    it(`writes ${name} byte for byte as the Python producer does (stamping off)`, async () => {
      const stream = `${uniquePrefix('fixture')}completions`;
      const publisher = createPublisher({
        redis,
        stream,
        stampPublishedAt: false,
        stampSchemaVersion: false,
      });
      const id = await publisher.publish(JSON.parse(json));
      expect(await readData(redis, stream, id)).toBe(json);
    });

    it(`writes ${name} so it decodes to the fixture field for field (stamping on)`, async () => {
      const stream = `${uniquePrefix('fixture')}completions`;
      const publisher = createPublisher({ redis, stream });
      const id = await publisher.publish(JSON.parse(json));
      const decoded = decode(['data', await readData(redis, stream, id)]);
      expect(decoded.ok).toBe(true);
      if (!decoded.ok) return;
      const { published_at, schema_version, ...rest } = decoded.message;
      expect(rest).toEqual(JSON.parse(json));
      expect(Number.isNaN(Date.parse(published_at as string))).toBe(false);
      expect(schema_version).toBe(SCHEMA_VERSION);
    });
  }

  it('stamps schema_version (the contract it was built against) unless the caller set it or turned it off', async () => {
    const stream = `${uniquePrefix('version')}completions`;
    const message = { operation_id: 'op', task_id: 't', success: true };
    const on = createPublisher({ redis, stream, idempotency: false });
    const off = createPublisher({ redis, stream, idempotency: false, stampSchemaVersion: false });
    const stamped = JSON.parse(await readData(redis, stream, await on.publish(message)));
    const kept = JSON.parse(
      await readData(redis, stream, await on.publish({ ...message, schema_version: '1.0' })),
    );
    const [many] = await on.publishMany([message]);
    const bare = JSON.parse(await readData(redis, stream, await off.publish(message)));
    expect(SCHEMA_VERSION).toBe('1.1');
    expect(stamped.schema_version).toBe(SCHEMA_VERSION);
    expect(kept.schema_version).toBe('1.0');
    expect(JSON.parse(await readData(redis, stream, many!)).schema_version).toBe(SCHEMA_VERSION);
    expect(bare).not.toHaveProperty('schema_version');
  });

  it('keeps a published_at and a traceparent the caller gives', async () => {
    const stream = `${uniquePrefix('trace')}completions`;
    const publisher = createPublisher({ redis, stream });
    const published_at = '2026-01-02T03:04:05.000Z';
    const id = await publisher.publish({
      operation_id: 'op',
      task_id: 't',
      success: true,
      published_at,
      traceparent: TRACEPARENT,
    });
    const decoded = decode(['data', await readData(redis, stream, id)]);
    expect(decoded).toMatchObject({ ok: true, message: { published_at, traceparent: TRACEPARENT } });
  });

  it('publishes to chat:completions by default and offers the original function shape', async () => {
    expect(DEFAULT_PUBLISHER_OPTIONS.stream).toBe('chat:completions');
    const stream = `${uniquePrefix('shape')}completions`;
    const { publishOperationComplete } = createPublisher({ redis, stream });
    const id = await publishOperationComplete({
      operation_id: 'op-x',
      task_id: 't-x',
      success: false,
      result: null,
      error: 'boom',
    });
    expect(JSON.parse(await readData(redis, stream, id))).toMatchObject({ success: false, error: 'boom' });
  });

  it.each([
    ['exact', 5, (len: number) => expect(len).toBe(5)],
    ['off', 5, (len: number) => expect(len).toBe(40)],
    // `~` trims whole macro nodes only, so it keeps at least `count` and may keep more.
    ['approximate', 5, (len: number) => expect(len).toBeGreaterThanOrEqual(5)],
  ] as const)('caps the stream with maxLen %s', async (strategy, count, check) => {
    for (const enabled of [true, false]) {
      const stream = `${uniquePrefix(`maxlen-${strategy}`)}completions`;
      const publisher = createPublisher({ redis, stream, maxLen: { strategy, count }, idempotency: enabled });
      for (let i = 0; i < 40; i++)
        await publisher.publish({ operation_id: `op-${i}`, task_id: 't', success: true });
      check(await redis.xlen(stream));
    }
  });

  it('never quits a client the caller owns', async () => {
    const own = new Redis(inject('redisUrl'));
    const publisher = createPublisher({ redis: own, stream: `${uniquePrefix('owned')}completions` });
    await publisher.publish({ operation_id: 'op', task_id: 't', success: true });
    await publisher.close();
    await publisher.close();
    expect(await own.ping()).toBe('PONG');
    await own.quit();
  });

  it('quits the connection it created from a URL, once', async () => {
    const publisher = createPublisher({
      url: inject('redisUrl'),
      stream: `${uniquePrefix('url')}completions`,
    });
    await publisher.publish({ operation_id: 'op', task_id: 't', success: true });
    const first = publisher.close();
    expect(publisher.close()).toBe(first);
    await first;
  });
});
