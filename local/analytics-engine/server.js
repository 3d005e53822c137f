// HTTP front of the local Analytics Engine.
//
//   GET  /health                                                → {"status":"ok"}
//   POST /ingest                {"dataset", "points": [...]}    → 202 {"accepted", "kept"}
//   POST /client/v4/accounts/:account/analytics_engine/sql      → as Cloudflare's SQL API
//
// The SQL route mirrors the real API closely enough that the Worker's SQL
// client only changes its base URL: raw SQL body, Bearer token, FORMAT JSON
// answer, and 422 "Input was invalid: …" as text/plain for any bad query.
//
// CLI: node local/analytics-engine/server.js --port 8790 --data .data/analytics-engine
//        [--host 127.0.0.1] [--token T] [--sample-every N]

import { createServer } from 'node:http';
import { createHash, timingSafeEqual } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { openEngine, InvalidQueryError, DataPointError, MAX_POINTS_PER_REQUEST } from './engine.js';

const MAX_BODY_BYTES = 1024 * 1024;
const SQL_ROUTE = /^\/client\/v4\/accounts\/[^/]+\/analytics_engine\/sql\/?$/;

/**
 * @typedef {object} ServerOptions
 * @property {number} [port=0] 0 picks a free port
 * @property {string} [host='127.0.0.1']
 * @property {string} dataDir
 * @property {string} [token] when set, the SQL route requires `Authorization: Bearer <token>`
 * @property {number} [sampleEvery=1]
 * @property {boolean} [quiet] do not log unexpected errors
 */

/**
 * @typedef {object} RunningServer
 * @property {string} url e.g. http://127.0.0.1:8790
 * @property {number} port
 * @property {() => Promise<void>} close stops listening, flushes and releases the data directory
 * @property {import('./engine.js').AnalyticsEngine} engine
 */

/** An answer that leaves the handler early (bad input, auth, limits). */
class HttpError extends Error {
  /** @param {number} status @param {string} code @param {string} message */
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/**
 * @param {ServerOptions} options
 * @returns {Promise<RunningServer>}
 */
export async function startServer({ port = 0, host = '127.0.0.1', dataDir, token, sampleEvery = 1, quiet = false }) {
  const engine = await openEngine({ dataDir, sampleEvery });
  const server = createServer((req, res) => {
    handle(req, res).catch((e) => {
      if (!quiet) console.error('analytics-engine:', e);
      if (!res.headersSent) sendJson(res, 500, { error: { code: 'internal', message: 'internal error' } });
      else res.destroy();
    });
  });

  /** @param {import('node:http').IncomingMessage} req @param {import('node:http').ServerResponse} res */
  async function handle(req, res) {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    try {
      if (path === '/health') {
        allow(req, 'GET');
        return sendJson(res, 200, { status: 'ok' });
      }
      if (path === '/ingest') {
        allow(req, 'POST');
        return await ingest(req, res);
      }
      if (SQL_ROUTE.test(path)) {
        allow(req, 'POST');
        return await sqlApi(req, res);
      }
      throw new HttpError(404, 'not_found', `no route for ${path}`);
    } catch (e) {
      if (!(e instanceof HttpError)) throw e;
      if (e.status === 405) res.setHeader('Allow', e.message);
      const message = e.status === 405 ? `method ${req.method} not allowed` : e.message;
      return sendJson(res, e.status, { error: { code: e.code, message } });
    }
  }

  /** @param {import('node:http').IncomingMessage} req @param {import('node:http').ServerResponse} res */
  async function ingest(req, res) {
    let body;
    try {
      body = JSON.parse(await readBody(req));
    } catch (e) {
      if (e instanceof HttpError) throw e;
      throw new HttpError(400, 'invalid_data_point', 'body must be JSON: {"dataset": "...", "points": [...]}');
    }
    const points = body?.points;
    if (!Array.isArray(points)) throw new HttpError(400, 'invalid_data_point', 'points must be an array');
    if (points.length > MAX_POINTS_PER_REQUEST) {
      throw new HttpError(400, 'invalid_data_point',
        `at most ${MAX_POINTS_PER_REQUEST} points per request (AE's per-invocation limit), got ${points.length}`);
    }
    try {
      return sendJson(res, 202, engine.ingest(body.dataset, points));
    } catch (e) {
      if (e instanceof DataPointError) throw new HttpError(400, e.code, e.message);
      throw e;
    }
  }

  /** @param {import('node:http').IncomingMessage} req @param {import('node:http').ServerResponse} res */
  async function sqlApi(req, res) {
    if (token !== undefined && !bearerMatches(req.headers.authorization, token)) {
      // Cloudflare's API envelope, not ours: clients of the real API parse this.
      return sendJson(res, 401, {
        success: false,
        errors: [{ code: 10000, message: 'Authentication error' }],
        messages: [],
        result: null,
      });
    }
    const sql = await readBody(req);
    try {
      const result = await engine.sql(sql);
      res.writeHead(200, { 'content-type': `${result.contentType}; charset=utf-8` });
      return res.end(result.body);
    } catch (e) {
      if (!(e instanceof InvalidQueryError)) throw e;
      res.writeHead(422, { 'content-type': 'text/plain; charset=utf-8' });
      return res.end(`Input was invalid: ${e.message}`);
    }
  }

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(undefined));
  });
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;

  let closing;
  const close = () => {
    closing ??= (async () => {
      await new Promise((resolve) => {
        server.close(() => resolve(undefined));
        server.closeAllConnections(); // keep-alive sockets would hold close() open
      });
      await engine.close();
    })();
    return closing;
  };
  return { url, port: address.port, close, engine };
}

/** @param {import('node:http').IncomingMessage} req @param {string} method */
function allow(req, method) {
  if (req.method !== method) throw new HttpError(405, 'method_not_allowed', method);
}

/**
 * Compares digests so the comparison takes the same time whatever matches.
 * @param {string | undefined} header @param {string} token
 */
function bearerMatches(header, token) {
  const match = /^Bearer\s+(.+)$/i.exec(header ?? '');
  if (!match) return false;
  const digest = (/** @type {string} */ s) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(match[1].trim()), digest(token));
}

/**
 * @param {import('node:http').IncomingMessage} req
 * @returns {Promise<string>}
 */
async function readBody(req) {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) throw tooLarge();
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw tooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function tooLarge() {
  return new HttpError(413, 'payload_too_large', `request body over ${MAX_BODY_BYTES} bytes`);
}

/** @param {import('node:http').ServerResponse} res @param {number} status @param {unknown} body */
function sendJson(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

async function main() {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '8790' },
      host: { type: 'string', default: '127.0.0.1' },
      data: { type: 'string', default: '.data/analytics-engine' },
      token: { type: 'string' },
      'sample-every': { type: 'string', default: '1' },
      quiet: { type: 'boolean', default: false },
    },
  });
  const running = await startServer({
    port: Number(values.port),
    host: values.host,
    dataDir: values.data,
    token: values.token,
    sampleEvery: Number(values['sample-every']),
    quiet: values.quiet,
  });
  console.log(`local Analytics Engine ready at ${running.url} (data: ${values.data})`);
  const stop = () => running.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e) => {
    console.error(`analytics-engine: ${e instanceof Error ? e.message : e}`);
    process.exit(1);
  });
}
