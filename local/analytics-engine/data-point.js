// Validation and row encoding of Analytics Engine data points.
//
// The shape is the Worker binding's `writeDataPoint({indexes, blobs, doubles})`
// plus an optional `timestamp` (the real binding always stamps "now"; tests
// need historical points). Limits are AE's documented ones. Where AE silently
// drops a bad point, we reject it loudly instead: a silent drop in production
// should be a test failure here, not a mystery.

export const MAX_BLOBS = 20;
export const MAX_DOUBLES = 20;
export const MAX_BLOB_BYTES = 16 * 1024; // total over all blobs of one point
export const MAX_INDEX_BYTES = 96;

// AE dataset names are SQL identifiers; this pattern also makes it safe to
// put a dataset name into DDL without quoting tricks.
export const DATASET_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

// DateTime is an unsigned 32-bit count of seconds.
const MAX_DATETIME_SECONDS = 2 ** 32 - 1;

/**
 * @typedef {object} DataPoint
 * @property {(string|null)[]} [indexes]
 * @property {(string|null)[]} [blobs]
 * @property {number[]} [doubles]
 * @property {number|string} [timestamp] ms since epoch or an ISO 8601 string; default now
 */

/**
 * A validated point with every column filled; the engine adds
 * `_sample_interval` and `dataset`.
 * @typedef {object} Row
 * @property {number} timestamp seconds since epoch
 * @property {string} index1
 * @property {string[]} blobs always MAX_BLOBS long
 * @property {number[]} doubles always MAX_DOUBLES long
 */

/** A rejected data point or dataset; `message` names the problem. */
export class DataPointError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = 'DataPointError';
    this.code = 'invalid_data_point';
  }
}

/**
 * @param {unknown} name
 * @returns {asserts name is string}
 */
export function assertDatasetName(name) {
  if (typeof name !== 'string' || !DATASET_NAME.test(name)) {
    throw new DataPointError(
      `dataset must match ${DATASET_NAME.source}, got ${JSON.stringify(name)}`,
    );
  }
}

/**
 * Validates one data point and turns it into a row with every column filled:
 * missing blobs are '', missing doubles 0, a missing index ''.
 *
 * @param {unknown} point
 * @param {number} position index in the request, for the error message
 * @param {number} nowMs default timestamp
 * @returns {Row}
 */
export function toRow(point, position, nowMs) {
  const where = `point ${position}`;
  if (point === null || typeof point !== 'object' || Array.isArray(point)) {
    throw new DataPointError(`${where}: must be an object`);
  }
  const p = /** @type {Record<string, unknown>} */ (point);
  for (const key of Object.keys(p)) {
    if (!['indexes', 'blobs', 'doubles', 'timestamp'].includes(key)) {
      throw new DataPointError(`${where}: unknown field "${key}"`);
    }
  }

  const indexes = optionalArray(p.indexes, `${where}: indexes`);
  // AE drops a point with two indexes without telling anyone.
  if (indexes.length > 1) {
    throw new DataPointError(`${where}: at most 1 index allowed, got ${indexes.length}`);
  }
  const index1 = indexes.length === 1 ? stringOrEmpty(indexes[0], () => `${where}: indexes[0]`) : '';
  const indexBytes = Buffer.byteLength(index1);
  if (indexBytes > MAX_INDEX_BYTES) {
    throw new DataPointError(
      `${where}: index is ${indexBytes} bytes, at most ${MAX_INDEX_BYTES} allowed`,
    );
  }

  const blobs = optionalArray(p.blobs, `${where}: blobs`);
  if (blobs.length > MAX_BLOBS) {
    throw new DataPointError(`${where}: at most ${MAX_BLOBS} blobs allowed, got ${blobs.length}`);
  }
  const blobValues = blobs.map((b, i) => stringOrEmpty(b, () => `${where}: blobs[${i}]`));
  const blobBytes = blobValues.reduce((n, b) => n + Buffer.byteLength(b), 0);
  if (blobBytes > MAX_BLOB_BYTES) {
    throw new DataPointError(
      `${where}: blobs total ${blobBytes} bytes, at most ${MAX_BLOB_BYTES} allowed`,
    );
  }

  const doubles = optionalArray(p.doubles, `${where}: doubles`);
  if (doubles.length > MAX_DOUBLES) {
    throw new DataPointError(
      `${where}: at most ${MAX_DOUBLES} doubles allowed, got ${doubles.length}`,
    );
  }
  doubles.forEach((d, i) => {
    // JSON.parse turns 1e999 into Infinity, so this is reachable over HTTP too.
    if (typeof d !== 'number' || !Number.isFinite(d)) {
      throw new DataPointError(`${where}: doubles[${i}] must be a finite number, got ${String(d)}`);
    }
  });

  return {
    timestamp: toSeconds(p.timestamp, where, nowMs),
    index1,
    blobs: Array.from({ length: MAX_BLOBS }, (_, i) => blobValues[i] ?? ''),
    doubles: Array.from({ length: MAX_DOUBLES }, (_, i) => /** @type {number} */ (doubles[i] ?? 0)),
  };
}

/**
 * @param {unknown} value
 * @param {string} what
 * @returns {unknown[]}
 */
function optionalArray(value, what) {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new DataPointError(`${what} must be an array`);
  return value;
}

/**
 * The binding also takes ArrayBuffers; over JSON only strings and null exist.
 * @param {unknown} value
 * @param {() => string} what built only on error: this runs 21 times a point
 */
function stringOrEmpty(value, what) {
  if (value === null || value === undefined) return '';
  if (typeof value !== 'string') throw new DataPointError(`${what()} must be a string or null`);
  return value;
}

/**
 * AE's `timestamp` is a DateTime: whole seconds, UTC.
 * @param {unknown} value
 * @param {string} where
 * @param {number} nowMs
 */
function toSeconds(value, where, nowMs) {
  let ms;
  if (value === undefined) ms = nowMs;
  else if (typeof value === 'number') ms = value;
  else if (typeof value === 'string') ms = Date.parse(value);
  else ms = NaN;
  const seconds = Math.floor(ms / 1000);
  if (!Number.isFinite(seconds) || seconds < 0 || seconds > MAX_DATETIME_SECONDS) {
    throw new DataPointError(
      `${where}: timestamp must be ms since epoch or an ISO 8601 date within 1970..2106`,
    );
  }
  return seconds;
}
