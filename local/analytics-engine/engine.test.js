// The engine against real embedded ClickHouse, each suite in a fresh data dir.
// chDB holds one data directory per process, so suites open and close their
// engine in turn (vitest runs them in order).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataPointError, InvalidQueryError, openEngine } from './engine.js';

const DAY_MS = 86_400_000;
/** @type {string[]} */
const dirs = [];
const freshDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'ae-engine-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/**
 * @param {import('./engine.js').AnalyticsEngine} engine
 * @param {string} sql
 */
async function rows(engine, sql) {
  return JSON.parse((await engine.sql(sql)).body).data;
}

describe('ingest and query', () => {
  /** @type {import('./engine.js').AnalyticsEngine} */
  let engine;
  beforeAll(async () => {
    engine = await openEngine({ dataDir: freshDir() });
  });
  afterAll(() => engine?.close());

  it('counts what was written, per tenant, with 64-bit integers as strings', async () => {
    const points = [
      { indexes: ['t1'], blobs: ['/a'], doubles: [1.5] },
      { indexes: ['t1'], blobs: ['/a'], doubles: [2.5] },
      { indexes: ['t1'], blobs: ['/b'], doubles: [4] },
      { indexes: ['t2'], blobs: ['/a'], doubles: [8] },
    ];
    expect(engine.ingest('manhali_events', points)).toEqual({ accepted: 4, kept: 4 });
    // No flush call: the query itself must see the queued writes.
    const data = await rows(engine,
      "SELECT blob1 AS path, SUM(_sample_interval) AS views, sum(double1) AS total FROM manhali_events WHERE index1 = 't1' GROUP BY path ORDER BY path FORMAT JSON");
    expect(data).toEqual([
      { path: '/a', views: '2', total: 4 },
      { path: '/b', views: '1', total: 4 },
    ]);
  });

  it('answers in the SQL API shape, without chDB statistics', async () => {
    const body = JSON.parse((await engine.sql("SELECT count() AS n FROM manhali_events WHERE index1 = 't2'")).body);
    expect(body).toEqual({
      meta: [{ name: 'n', type: 'UInt64' }],
      data: [{ n: '1' }],
      rows: 1,
      rows_before_limit_at_least: 1,
    });
  });

  it('fills missing blobs with empty strings, doubles with 0 and the index with an empty string', async () => {
    engine.ingest('sparse', [{}]);
    const [row] = await rows(engine, 'SELECT index1, blob1, blob20, double1, double20, _sample_interval, dataset FROM sparse');
    expect(row).toEqual({ index1: '', blob1: '', blob20: '', double1: 0, double20: 0, _sample_interval: 1, dataset: 'sparse' });
  });

  it('stores a given timestamp (ms or ISO) in UTC seconds', async () => {
    engine.ingest('stamps', [
      { indexes: ['ms'], timestamp: Date.UTC(2030, 0, 2, 3, 4, 5, 678) },
      { indexes: ['iso'], timestamp: '2030-01-02T03:04:05.678Z' },
    ]);
    expect(await rows(engine, 'SELECT index1, timestamp, toUnixTimestamp(timestamp) AS s FROM stamps ORDER BY index1')).toEqual([
      { index1: 'iso', timestamp: '2030-01-02 03:04:05', s: Date.UTC(2030, 0, 2, 3, 4, 5) / 1000 },
      { index1: 'ms', timestamp: '2030-01-02 03:04:05', s: Date.UTC(2030, 0, 2, 3, 4, 5) / 1000 },
    ]);
  });

  it('lists datasets with SHOW TABLES', async () => {
    const names = (await rows(engine, 'SHOW TABLES')).map((/** @type {{name: string}} */ r) => r.name);
    expect(names).toEqual(['manhali_events', 'sparse', 'stamps']);
  });

  it('flushes a batch of 1,000 points and counts every one', async () => {
    const batch = Array.from({ length: 1000 }, (_, i) => ({ indexes: ['bulk'], blobs: [`/p${i % 7}`], doubles: [i] }));
    engine.ingest('manhali_events', batch);
    await engine.flush();
    expect(await rows(engine, "SELECT count() AS n, sum(double1) AS s FROM manhali_events WHERE index1 = 'bulk'"))
      .toEqual([{ n: '1000', s: 499500 }]);
  });

  it('writes queued points on its timer, without a query or flush call', async () => {
    engine.ingest('timer', [{ indexes: ['x'] }]);
    // The view exists at once; the row must be in storage after the timer.
    await new Promise((r) => setTimeout(r, 300));
    expect(engine.lastFlushError).toBeNull();
    expect(await rows(engine, 'SELECT count() AS n FROM timer')).toEqual([{ n: '1' }]);
  });

  it('returns a hostile string byte for byte', async () => {
    const hostile = "it's \"quoted\" \\ back\\slash \0 nul ' OR 1=1 -- \n\t\r é中文🙂‮ " + 'ü🙂'.repeat(2000);
    engine.ingest('manhali_events', [{ indexes: ["t'1"], blobs: [hostile, 'JOIN UNION CASE('] }]);
    // The literal the way a report builder must encode it for AE.
    const literal = `'${hostile.replace(/[\\']/g, '\\$&').replace(/\0/g, '\\0')}'`;
    const data = await rows(engine, `SELECT blob1, blob2, length(blob1) AS bytes FROM manhali_events WHERE index1 = 't\\'1' AND blob1 = ${literal}`);
    expect(data).toHaveLength(1);
    expect(data[0].blob1).toBe(hostile);
    expect(data[0].blob2).toBe('JOIN UNION CASE(');
    expect(data[0].bytes).toBe(String(Buffer.byteLength(hostile)));
  });

  it('refuses a query outside the subset and stays usable after a ClickHouse error', async () => {
    await expect(engine.sql('SELECT * FROM manhali_events JOIN sparse ON 1')).rejects.toThrow(InvalidQueryError);
    await expect(engine.sql('SELECT no_such_column FROM manhali_events')).rejects.toThrow(/no_such_column/);
    await expect(engine.sql('SELECT count() FROM no_such_dataset')).rejects.toThrow(InvalidQueryError);
    expect(await rows(engine, "SELECT count() AS n FROM manhali_events WHERE index1 = 't2'")).toEqual([{ n: '1' }]);
  });

  it('answers other formats as ClickHouse writes them', async () => {
    const result = await engine.sql("SELECT count() AS n FROM manhali_events WHERE index1 = 't2' FORMAT JSONEachRow");
    expect(result).toEqual({ format: 'JSONEachRow', contentType: 'application/x-ndjson', body: '{"n":"1"}\n' });
  });
});

describe('data point validation', () => {
  /** @type {import('./engine.js').AnalyticsEngine} */
  let engine;
  beforeAll(async () => {
    engine = await openEngine({ dataDir: freshDir() });
  });
  afterAll(() => engine?.close());

  const invalid = {
    '21 blobs': [{ blobs: Array(21).fill('x') }, /at most 20 blobs/],
    'blobs over 16 KB': [{ blobs: ['a'.repeat(8192), 'é'.repeat(4097)] }, /16386 bytes, at most 16384/],
    'two indexes': [{ indexes: ['a', 'b'] }, /at most 1 index/],
    'an index over 96 bytes': [{ indexes: ['é'.repeat(49)] }, /98 bytes, at most 96/],
    '21 doubles': [{ doubles: Array(21).fill(1) }, /at most 20 doubles/],
    'a NaN double': [{ doubles: [NaN] }, /doubles\[0\] must be a finite number/],
    'an infinite double': [{ doubles: [1, Infinity] }, /doubles\[1\] must be a finite number/],
    'a string double': [{ doubles: ['1'] }, /finite number/],
    'a number blob': [{ blobs: [1] }, /blobs\[0\] must be a string/],
    'an unparseable timestamp': [{ timestamp: 'yesterday' }, /timestamp/],
    'an unknown field': [{ index: 'x' }, /unknown field "index"/],
  };
  for (const [what, [point, message]] of Object.entries(invalid)) {
    it(`rejects ${what}`, () => {
      expect(() => engine.ingest('manhali_events', [point])).toThrow(DataPointError);
      expect(() => engine.ingest('manhali_events', [point])).toThrow(message);
    });
  }

  it('accepts the limits exactly', async () => {
    const point = { indexes: ['é'.repeat(48)], blobs: ['a'.repeat(16384 - 19 * 4), ...Array(19).fill('éé')], doubles: Array(20).fill(0.5) };
    expect(engine.ingest('manhali_events', [point])).toEqual({ accepted: 1, kept: 1 });
    expect(await rows(engine, 'SELECT count() AS n FROM manhali_events')).toEqual([{ n: '1' }]);
  });

  it('rejects the whole call when one point is invalid, storing nothing', async () => {
    expect(() => engine.ingest('manhali_events', [{ indexes: ['ok'] }, { indexes: ['a', 'b'] }])).toThrow(/point 1/);
    expect(await rows(engine, "SELECT count() AS n FROM manhali_events WHERE index1 = 'ok'")).toEqual([{ n: '0' }]);
  });

  it('rejects dataset names that are not identifiers', () => {
    for (const name of ['', '1abc', 'a-b', 'a.b', 'x'.repeat(65), "x'; DROP"]) {
      expect(() => engine.ingest(name, [{}])).toThrow(/dataset must match/);
    }
  });
});

describe('persistence and retention', () => {
  it('keeps data across a restart and hides points older than 90 days', async () => {
    const dataDir = freshDir();
    const now = Date.now();
    let engine = await openEngine({ dataDir });
    engine.ingest('manhali_events', [
      { indexes: ['t1'], blobs: ['expired'], timestamp: now - 91 * DAY_MS },
      { indexes: ['t1'], blobs: ['kept'], timestamp: now - 89 * DAY_MS },
      { indexes: ['t1'], blobs: ['today'] },
    ]);
    engine.ingest('custom_ds', [{ indexes: ['t9'], doubles: [42] }]);
    const query = "SELECT blob1 FROM manhali_events WHERE index1 = 't1' ORDER BY blob1";
    expect(await rows(engine, query)).toEqual([{ blob1: 'kept' }, { blob1: 'today' }]);
    await engine.close();

    engine = await openEngine({ dataDir });
    try {
      expect(await rows(engine, query)).toEqual([{ blob1: 'kept' }, { blob1: 'today' }]);
      // A dataset first seen before the restart is still queryable.
      expect(await rows(engine, 'SELECT index1, double1 FROM custom_ds')).toEqual([{ index1: 't9', double1: 42 }]);
    } finally {
      await engine.close();
    }
  });
});

describe('simulated write-time sampling', () => {
  /** @type {import('./engine.js').AnalyticsEngine} */
  let engine;
  beforeAll(async () => {
    engine = await openEngine({ dataDir: freshDir(), sampleEvery: 10 });
  });
  afterAll(() => engine?.close());

  it('keeps 1 in 10 points per index and the weighted count stays exact', async () => {
    const points = (/** @type {string} */ index, /** @type {number} */ n) =>
      Array.from({ length: n }, (_, i) => ({ indexes: [index], doubles: [i] }));
    // 250 per call, like the Worker; counters run on across calls.
    let kept = 0;
    for (let i = 0; i < 4; i++) kept += engine.ingest('manhali_events', points('busy', 250)).kept;
    kept += engine.ingest('manhali_events', points('quiet', 30)).kept;
    expect(kept).toBe(103);

    const data = await rows(engine,
      'SELECT index1, count() AS stored, SUM(_sample_interval) AS visits, min(_sample_interval) AS lo, max(_sample_interval) AS hi FROM manhali_events GROUP BY index1 ORDER BY index1');
    expect(data).toEqual([
      { index1: 'busy', stored: '100', visits: '1000', lo: 10, hi: 10 },
      { index1: 'quiet', stored: '3', visits: '30', lo: 10, hi: 10 },
    ]);
  });
});
