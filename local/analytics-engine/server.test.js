// The HTTP surface, as the Worker's SQL client and local sink will use it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from './server.js';

const TOKEN = 'local-test-token';
const dataDir = mkdtempSync(join(tmpdir(), 'ae-server-'));
/** @type {Awaited<ReturnType<typeof startServer>>} */
let server;

beforeAll(async () => {
  server = await startServer({ dataDir, token: TOKEN, quiet: true });
});
afterAll(async () => {
  await server?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const sqlUrl = () => `${server.url}/client/v4/accounts/0123abcd/analytics_engine/sql`;

/** @param {string} sql @param {string | null} [token] */
function postSql(sql, token = TOKEN) {
  /** @type {Record<string, string>} */
  const headers = token === null ? {} : { authorization: `Bearer ${token}` };
  return fetch(sqlUrl(), { method: 'POST', headers, body: sql });
}

/** @param {unknown} body */
function postIngest(body) {
  return fetch(`${server.url}/ingest`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** @param {string} sql */
async function selectRows(sql) {
  const res = await postSql(sql);
  expect(res.status).toBe(200);
  return (await res.json()).data;
}

describe('routes', () => {
  it('reports health', async () => {
    const res = await fetch(`${server.url}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('answers unknown paths with 404 JSON and wrong methods with 405', async () => {
    const missing = await fetch(`${server.url}/nope`);
    expect(missing.status).toBe(404);
    expect((await missing.json()).error.code).toBe('not_found');
    const wrong = await fetch(sqlUrl(), { method: 'GET' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
    expect((await wrong.json()).error.code).toBe('method_not_allowed');
  });
});

describe('POST /ingest', () => {
  it('accepts points and makes them queryable at once', async () => {
    const res = await postIngest({
      dataset: 'manhali_events',
      points: [
        { indexes: ['site1'], blobs: ['/home', 'ref'], doubles: [1] },
        { indexes: ['site1'], blobs: ['/home'], doubles: [2] },
        { indexes: ['site1'], blobs: ['/about'], doubles: [3] },
      ],
    });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: 3, kept: 3 });
    expect(await selectRows(
      "SELECT blob1 AS path, SUM(_sample_interval) AS views, sum(double1) AS total FROM manhali_events WHERE index1 = 'site1' GROUP BY path ORDER BY views DESC FORMAT JSON",
    )).toEqual([
      { path: '/home', views: '2', total: 3 },
      { path: '/about', views: '1', total: 3 },
    ]);
  });

  it('rejects an invalid point with a message naming it, storing nothing from the request', async () => {
    const res = await postIngest({
      dataset: 'manhali_events',
      points: [{ indexes: ['site2'] }, { indexes: ['site2', 'extra'] }],
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: { code: 'invalid_data_point', message: 'point 1: at most 1 index allowed, got 2' },
    });
    expect(await selectRows("SELECT count() AS n FROM manhali_events WHERE index1 = 'site2'")).toEqual([{ n: '0' }]);
  });

  it('rejects a double that JSON turns into Infinity', async () => {
    const res = await postIngest('{"dataset":"manhali_events","points":[{"doubles":[1e999]}]}');
    expect(res.status).toBe(400);
    expect((await res.json()).error.message).toMatch(/doubles\[0\] must be a finite number/);
  });

  it('rejects bad bodies, bad dataset names and more than 250 points', async () => {
    expect((await postIngest('{not json')).status).toBe(400);
    const badName = await postIngest({ dataset: 'bad-name', points: [{}] });
    expect(badName.status).toBe(400);
    expect((await badName.json()).error.message).toMatch(/dataset must match/);
    const tooMany = await postIngest({ dataset: 'manhali_events', points: Array(251).fill({}) });
    expect(tooMany.status).toBe(400);
    expect((await tooMany.json()).error.message).toMatch(/at most 250 points/);
  });

  it('refuses a body over 1 MB with 413', async () => {
    const res = await postIngest({ dataset: 'manhali_events', points: [{ blobs: ['x'.repeat(1024 * 1024)] }] });
    expect(res.status).toBe(413);
    expect((await res.json()).error.code).toBe('payload_too_large');
  });

  it('counts 1,000 points sent as four requests of 250', async () => {
    const started = performance.now();
    for (let r = 0; r < 4; r++) {
      const points = Array.from({ length: 250 }, (_, i) => ({ indexes: ['bulk'], blobs: [`/p${i % 5}`], doubles: [r * 250 + i] }));
      expect((await postIngest({ dataset: 'manhali_events', points })).status).toBe(202);
    }
    expect(await selectRows("SELECT count() AS n, sum(double1) AS s FROM manhali_events WHERE index1 = 'bulk'"))
      .toEqual([{ n: '1000', s: 499500 }]);
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('returns a hostile string byte for byte through HTTP', async () => {
    const hostile = "a'b\"c\\d\0e' OR 1=1 -- ;DROP TABLE x; \u2028\u{1F600}" + 'ß漢'.repeat(500);
    expect((await postIngest({ dataset: 'manhali_events', points: [{ indexes: ['evil'], blobs: [hostile] }] })).status).toBe(202);
    const [row] = await selectRows("SELECT blob1 FROM manhali_events WHERE index1 = 'evil'");
    expect(row.blob1).toBe(hostile);
  });
});

describe('POST /client/v4/accounts/:account/analytics_engine/sql', () => {
  it('requires the bearer token, answering as Cloudflare does', async () => {
    for (const token of [null, 'wrong-token']) {
      const res = await postSql('SELECT count() FROM manhali_events', token);
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({
        success: false,
        errors: [{ code: 10000, message: 'Authentication error' }],
      });
    }
  });

  it('answers JSON with meta, data, rows and rows_before_limit_at_least, 64-bit integers as strings', async () => {
    const res = await postSql("SELECT index1, count() AS n, SUM(_sample_interval) AS w FROM manhali_events WHERE index1 = 'site1' GROUP BY index1 FORMAT JSON");
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({
      meta: [
        { name: 'index1', type: 'String' },
        { name: 'n', type: 'UInt64' },
        { name: 'w', type: 'UInt64' },
      ],
      data: [{ index1: 'site1', n: '3', w: '3' }],
      rows: 1,
      rows_before_limit_at_least: 1,
    });
  });

  it('answers a query outside the subset with 422 "Input was invalid: …" as text', async () => {
    const res = await postSql('SELECT * FROM manhali_events JOIN manhali_events ON 1');
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await res.text()).toBe('Input was invalid: JOIN is not supported by Analytics Engine');
  });

  it('answers a ClickHouse error with a short 422 and keeps serving', async () => {
    const res = await postSql('SELECT no_such_column FROM manhali_events');
    expect(res.status).toBe(422);
    const text = await res.text();
    expect(text).toMatch(/^Input was invalid: .*no_such_column/);
    expect(text).not.toMatch(/DB::Exception|Stack trace|\n/);
    expect((await postSql('SELECT count() FROM manhali_events FORMAT JSON')).status).toBe(200);
  });

  it('stays responsive while queries run, serving many at once', async () => {
    const queries = Array.from({ length: 20 }, (_, i) =>
      postSql(`SELECT count() AS n FROM manhali_events WHERE double1 >= ${i}`).then((r) => r.status));
    const health = fetch(`${server.url}/health`).then((r) => r.status);
    expect(await Promise.all([...queries, health])).toEqual(Array(21).fill(200));
  });
});

describe('restart', () => {
  it('keeps data when a new server opens the same data directory', async () => {
    const before = await selectRows('SELECT count() AS n FROM manhali_events');
    await server.close();
    server = await startServer({ dataDir, token: TOKEN, quiet: true });
    expect(await selectRows('SELECT count() AS n FROM manhali_events')).toEqual(before);
    expect(before[0].n).not.toBe('0');
  });
});
