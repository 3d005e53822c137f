// The local Analytics Engine: AE's storage model on embedded ClickHouse (chDB).
//
// All datasets share one MergeTree table with AE's columns; each dataset is a
// VIEW of its own rows, so queries say `FROM manhali_events` exactly as they do
// against the real SQL API. Writes are queued and flushed as one multi-row
// INSERT; every query flushes first, so a read sees every write acknowledged
// before it.
//
// chDB allows one data directory per process, and one operation at a time on
// a connection: every engine call goes through a single FIFO chain.

import { Session, drainPending } from 'chdb';
import { analyseAnalyticsEngineSql, FORMATS } from './sql-subset.js';
import { DataPointError, MAX_BLOBS, MAX_DOUBLES, assertDatasetName, toRow } from './data-point.js';

export { DataPointError } from './data-point.js';

export const RETENTION_DAYS = 90; // AE keeps data for three months
export const MAX_POINTS_PER_REQUEST = 250; // AE's per-invocation limit

const STORAGE = 'ae_storage.events';
// Queries run with this as the current database, so `FROM <dataset>` and
// SHOW TABLES see the dataset views and nothing else.
const DATASETS_DB = 'ae_datasets';

const COLUMNS = [
  'timestamp DateTime',
  '_sample_interval UInt32',
  'index1 String',
  ...Array.from({ length: MAX_BLOBS }, (_, i) => `blob${i + 1} String`),
  ...Array.from({ length: MAX_DOUBLES }, (_, i) => `double${i + 1} Float64`),
  'dataset String',
];
const COLUMN_NAMES = COLUMNS.map((c) => c.split(' ')[0]);

/**
 * @typedef {object} EngineOptions
 * @property {string} dataDir folder holding the ClickHouse data (created if missing)
 * @property {number} [sampleEvery=1] keep 1 point in N per (dataset, index1), stored with `_sample_interval = N`
 * @property {number} [flushIntervalMs=50] how long a queued point may wait before its INSERT
 * @property {number} [maxQueue=1000] queue length that triggers an immediate INSERT
 * @property {string[]} [datasets=['manhali_events']] datasets that exist (and can be queried) before their first write
 */

/**
 * @typedef {object} QueryResult
 * @property {string} format output format (JSON unless the query asked otherwise)
 * @property {string} contentType
 * @property {string} body
 */

/** A query AE would refuse: outside the SQL subset, or failed in ClickHouse. */
export class InvalidQueryError extends Error {
  /** @param {string} reason */
  constructor(reason) {
    super(reason);
    this.name = 'InvalidQueryError';
  }
}

/**
 * Opens (or creates) the engine's data directory.
 * @param {EngineOptions} options
 * @returns {Promise<AnalyticsEngine>}
 */
export async function openEngine(options) {
  const engine = new AnalyticsEngine(options);
  try {
    await engine.ready;
  } catch (e) {
    await engine.close().catch(() => undefined);
    throw e;
  }
  return engine;
}

export class AnalyticsEngine {
  #session;
  #sampleEvery;
  #flushIntervalMs;
  #maxQueue;
  /** @type {Promise<unknown>} tail of the FIFO chain every chDB call joins */
  #tail = Promise.resolve();
  /** @type {string[]} JSONCompactEachRow lines (COLUMN_NAMES order) waiting for the next INSERT */
  #queue = [];
  /** @type {ReturnType<typeof setTimeout> | null} */
  #timer = null;
  /** @type {Set<string>} datasets with a view */
  #datasets = new Set();
  /** @type {Map<string, number>} points seen per dataset+index, for sampling */
  #seen = new Map();
  #closed = false;
  /** @type {Error | null} the last failed INSERT, if any */
  lastFlushError = null;
  /** @type {Promise<void>} settles when the schema is in place */
  ready;

  /** @param {EngineOptions} options */
  constructor({ dataDir, sampleEvery = 1, flushIntervalMs = 50, maxQueue = 1000, datasets = ['manhali_events'] }) {
    if (!dataDir) throw new TypeError('dataDir is required');
    if (!Number.isInteger(sampleEvery) || sampleEvery < 1) {
      throw new TypeError('sampleEvery must be an integer >= 1');
    }
    datasets.forEach(assertDatasetName);
    this.#sampleEvery = sampleEvery;
    this.#flushIntervalMs = flushIntervalMs;
    this.#maxQueue = maxQueue;
    this.#session = new Session(dataDir, {
      connectionArgs: [
        // AE returns 64-bit integers as JSON strings (they do not fit a double).
        '--output_format_json_quote_64bit_integers=1',
        // AE's timestamps are UTC whatever the host says.
        '--session_timezone=UTC',
      ],
    });
    this.ready = this.#exclusive(() => this.#setUp(datasets));
  }

  /** @param {string[]} datasets */
  async #setUp(datasets) {
    const run = (/** @type {string} */ sql) => this.#session.queryAsync(sql, { format: 'TSV' });
    await run('CREATE DATABASE IF NOT EXISTS ae_storage');
    // The TTL is AE's retention; ClickHouse applies it lazily (on merges), so
    // the views below also hide expired rows and start-up deletes them.
    await run(
      `CREATE TABLE IF NOT EXISTS ${STORAGE} (${COLUMNS.join(', ')})
       ENGINE = MergeTree PARTITION BY toYYYYMM(timestamp) ORDER BY (dataset, index1, timestamp)
       TTL timestamp + INTERVAL ${RETENTION_DAYS} DAY`,
    );
    await run(`DELETE FROM ${STORAGE} WHERE timestamp < now() - INTERVAL ${RETENTION_DAYS} DAY`);
    await run(`CREATE DATABASE IF NOT EXISTS ${DATASETS_DB}`);
    // The current database is per session and not persisted: set it each start.
    await run(`USE ${DATASETS_DB}`);
    const stored = (await run(`SELECT DISTINCT dataset FROM ${STORAGE}`)).text().split('\n').filter(Boolean);
    for (const name of new Set([...datasets, ...stored])) await this.#createView(name);
  }

  /**
   * A dataset is a view over its own, unexpired rows. `name` has passed
   * DATASET_NAME, so it is safe both as identifier and as literal.
   * @param {string} name
   */
  async #createView(name) {
    await this.#session.queryAsync(
      `CREATE VIEW IF NOT EXISTS ${DATASETS_DB}.\`${name}\` AS
       SELECT ${COLUMN_NAMES.join(', ')} FROM ${STORAGE}
       WHERE dataset = '${name}' AND timestamp >= now() - INTERVAL ${RETENTION_DAYS} DAY`,
      { format: 'TSV' },
    );
    this.#datasets.add(name);
  }

  /**
   * Validates and queues data points. All or nothing: one invalid point
   * rejects the whole call and nothing is queued.
   * @param {string} dataset
   * @param {unknown[]} points
   * @returns {{accepted: number, kept: number}} kept < accepted when sampling drops points
   * @throws {DataPointError}
   */
  ingest(dataset, points) {
    this.#assertOpen();
    assertDatasetName(dataset);
    if (!Array.isArray(points)) throw new DataPointError('points must be an array');
    const now = Date.now();
    const rows = points.map((p, i) => toRow(p, i, now));

    if (!this.#datasets.has(dataset)) {
      this.#datasets.add(dataset);
      this.#exclusive(() => this.#createView(dataset)).catch((e) => this.#flushFailed(e));
    }
    let kept = 0;
    for (const row of rows) {
      if (!this.#sampled(dataset, row.index1)) continue;
      // JSON.stringify escapes quotes, backslashes, control characters and
      // NUL; ClickHouse's JSON reader decodes them back byte for byte.
      this.#queue.push(JSON.stringify(
        [row.timestamp, this.#sampleEvery, row.index1, ...row.blobs, ...row.doubles, dataset],
      ));
      kept++;
    }
    if (this.#queue.length >= this.#maxQueue) this.#startFlush();
    else if (this.#queue.length > 0 && !this.#timer) {
      this.#timer = setTimeout(() => this.#startFlush(), this.#flushIntervalMs);
    }
    return { accepted: rows.length, kept };
  }

  /**
   * Simulated write-time sampling, deterministic: the 1st, (N+1)th, (2N+1)th …
   * point of each (dataset, index1) is kept, like AE sampling per index.
   * @param {string} dataset @param {string} index1
   */
  #sampled(dataset, index1) {
    if (this.#sampleEvery === 1) return true;
    const key = `${dataset}\u0000${index1}`;
    const n = this.#seen.get(key) ?? 0;
    this.#seen.set(key, n + 1);
    return n % this.#sampleEvery === 0;
  }

  /** Writes every queued point now. */
  flush() {
    return this.#startFlush();
  }

  /** Takes the queue synchronously, so anything queued before is in this INSERT. */
  #startFlush() {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#queue.length === 0) return this.#exclusive(() => undefined);
    const lines = this.#queue;
    this.#queue = [];
    const insert = this.#exclusive(() =>
      this.#session.insert({
        table: STORAGE,
        values: Buffer.from(lines.join('\n')),
        format: 'JSONCompactEachRow',
        columns: COLUMN_NAMES,
      }),
    );
    return insert.then(
      () => undefined,
      (e) => this.#flushFailed(e),
    );
  }

  /** @param {unknown} e */
  #flushFailed(e) {
    // Points were already acknowledged (AE never confirms either); keep the
    // engine running and make the failure visible.
    this.lastFlushError = e instanceof Error ? e : new Error(String(e));
    console.error(`analytics-engine: write failed: ${this.lastFlushError.message}`);
  }

  /**
   * Runs one query of the AE SQL subset.
   * @param {string} sql
   * @returns {Promise<QueryResult>}
   * @throws {InvalidQueryError}
   */
  async sql(sql) {
    this.#assertOpen();
    const analysed = analyseAnalyticsEngineSql(sql);
    if ('reason' in analysed) throw new InvalidQueryError(analysed.reason);
    this.#startFlush(); // read-your-writes: the INSERT joins the chain first
    const { format } = analysed;
    let text;
    try {
      const result = await this.#exclusive(() => this.#session.queryAsync(analysed.sql, { format }));
      text = result.text();
    } catch (e) {
      throw new InvalidQueryError(clickhouseReason(e));
    }
    const contentType = /** @type {string} */ (FORMATS.get(format));
    if (format !== 'JSON') return { format, contentType, body: text };
    return { format, contentType, body: JSON.stringify(asAnalyticsEngineJson(text)) };
  }

  /** Names of the datasets that can be queried. */
  datasetNames() {
    return [...this.#datasets].sort();
  }

  /** Flushes the queue and releases the data directory. */
  async close() {
    if (this.#closed) return;
    await this.#startFlush();
    this.#closed = true;
    await this.#tail;
    this.#session.close();
    await drainPending(); // the next Session in this process needs the engine idle
  }

  #assertOpen() {
    if (this.#closed) throw new Error('analytics engine is closed');
  }

  /**
   * Runs fn after every call queued before it; a failure does not block the
   * calls queued after it.
   * @template T
   * @param {() => T | Promise<T>} fn
   * @returns {Promise<T>}
   */
  #exclusive(fn) {
    const run = this.#tail.then(fn);
    this.#tail = run.catch(() => undefined);
    return run;
  }
}

/**
 * Shapes ClickHouse's JSON output as the SQL API answers: `statistics` is
 * chDB's own, and AE always reports `rows_before_limit_at_least`.
 * @param {string} text
 */
function asAnalyticsEngineJson(text) {
  const { meta, data, rows, rows_before_limit_at_least: beforeLimit } = JSON.parse(text);
  return { meta, data, rows, rows_before_limit_at_least: beforeLimit ?? rows };
}

/**
 * One line a caller can act on, without stack traces or our storage layout.
 * @param {unknown} e
 */
function clickhouseReason(e) {
  const message = e instanceof Error ? e.message : String(e);
  const reason = message
    .replace(/^[\s\S]*?DB::Exception: /, '')
    .split('\n')[0]
    .replace(/\. Stack trace:[\s\S]*$/, '')
    .replaceAll(`${DATASETS_DB}.`, '')
    .trim();
  return reason.length > 500 ? `${reason.slice(0, 500)}…` : reason || 'query failed';
}
