// Shared ground for the browser tests: finding and launching the system
// Chromium, small HTTP servers (test pages, a recording collector), and
// helpers to watch a page for errors and for what the tracker sent.

import { existsSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from "playwright-core";
import { describe, it } from "vitest";

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || "/usr/bin/chromium";

// --disable-quic and the three --disable-* networking flags keep Chromium from
// talking to anything but the local servers under test.
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

const INSTALL_HINT = `Chromium not found at ${CHROMIUM_PATH}: install it with \`apt-get install -y chromium\` (as root), or set CHROMIUM_PATH.`;

/**
 * `describe` for a suite that needs Chromium. Without Chromium the suite is
 * skipped with a message saying how to install it, except under CI (CI=true),
 * where the browser tests must run: there a missing Chromium fails the suite.
 */
export function describeInChromium(name: string, suite: () => void): void {
  if (existsSync(CHROMIUM_PATH)) {
    describe(name, suite);
  } else if (process.env.CI === "true") {
    describe(name, () => {
      it("needs Chromium under CI", () => {
        throw new Error(INSTALL_HINT);
      });
    });
  } else {
    console.warn(`Skipping "${name}". ${INSTALL_HINT}`);
    describe.skip(name, suite); // skipped only where no Chromium is installed and not under CI (see above)
  }
}

/**
 * Launches the system Chromium. Playwright always starts it with a fresh
 * temporary --user-data-dir of its own (it refuses one in args) and deletes
 * it on close, so no profile state survives between runs.
 */
export function launchChromium(options: { ignoreDefaultArgs?: string[] } = {}): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, timeout: 30_000, ...options });
}

// A desktop Chrome user agent. Headless Chromium announces "HeadlessChrome",
// which the Worker rightly drops as a bot; the end-to-end tests play a person.
export const DESKTOP_USER_AGENT =
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";

// ---------------------------------------------------------------- servers

export interface LocalServer {
  port: number;
  /** http://HOST:PORT, HOST being the host name the caller asked for. */
  origin: string;
  close(): Promise<void>;
}

export async function startServer(
  handler: (req: IncomingMessage, res: ServerResponse, body: string) => void,
  host = "localhost",
): Promise<LocalServer> {
  const server = createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (body += chunk));
    req.on("end", () => handler(req, res, body));
  });
  // Both "localhost" and "127.0.0.1" resolve to this IPv4 listener.
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    origin: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The two-line snippet documented in docs/tracker.md, first line. */
export const QUEUE_SNIPPET =
  '<script>window.manhali=window.manhali||{q:[],track:function(){manhali.q.push(["track",arguments])},pageview:function(){manhali.q.push(["pageview",arguments])}}</script>';

export interface TestPage {
  /** Script URL of the tracker, with ?sid=… */
  trackerSrc: string;
  /** Markup before the tracker's script element. */
  before?: string;
  /** Markup after it. */
  after?: string;
}

export function testPageHtml({ trackerSrc, before = "", after = "" }: TestPage): string {
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>Test page</title>
${before}
<script defer src="${trackerSrc}"></script>
${after}
</head><body>
<h1>A tenant page</h1>
<p><a id="anchor" href="#section">Jump to the section</a></p>
<div id="section" style="margin-top: 2000px">Section</div>
</body></html>`;
}

/** Serves the same test page at every path (a single-page app's server does that too). */
export function startPageServer(page: TestPage | (() => TestPage), host = "localhost"): Promise<LocalServer> {
  return startServer((req, res) => {
    if (req.url === "/favicon.ico") {
      res.writeHead(404).end();
      return;
    }
    const html = testPageHtml(typeof page === "function" ? page() : page);
    res.writeHead(200, { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" }).end(html);
  }, host);
}

// ------------------------------------------------------------- collector

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The parsed body of a POST /api/collect, when it is JSON. */
  event?: Record<string, unknown>;
}

export interface Collector extends LocalServer {
  /** Every request made to /api/collect, in arrival order, any method. */
  requests: RecordedRequest[];
  /** Parsed bodies of the POSTs to /api/collect. */
  events(): Record<string, unknown>[];
  trackerSrc(siteId: string): string;
  /** How /api/collect answers from now on. */
  respondWith(answer: { status: number; cors: boolean }): void;
}

/**
 * The production shape on a second origin: serves /tracker.js?sid=… exactly
 * as the Worker fills it in (trackerScript), pointing at its own
 * /api/collect, and records every request that reaches /api/collect.
 */
export async function startCollector(host = "127.0.0.1"): Promise<Collector> {
  const { trackerScript } = await loadTrackerScript();
  const requests: RecordedRequest[] = [];
  let answer = { status: 202, cors: true };
  let origin = "";
  const server = await startServer((req, res, body) => {
    const url = new URL(req.url ?? "/", origin);
    if (url.pathname === "/tracker.js") {
      const script = trackerScript(url.searchParams.get("sid") ?? "", `${origin}/api/collect`);
      res.writeHead(200, { "Content-Type": "application/javascript; charset=utf-8", ETag: script.etag });
      res.end(script.body);
      return;
    }
    if (url.pathname !== "/api/collect") {
      res.writeHead(404).end();
      return;
    }
    let event: Record<string, unknown> | undefined;
    try {
      event = req.method === "POST" ? JSON.parse(body) : undefined;
    } catch {
      event = undefined;
    }
    requests.push({ method: req.method ?? "", path: req.url ?? "", headers: req.headers, body, event });
    const cors: Record<string, string> = answer.cors
      ? {
          "Access-Control-Allow-Origin": req.headers.origin ?? "*",
          "Access-Control-Allow-Methods": "POST",
          "Access-Control-Allow-Headers": "Content-Type",
        }
      : {};
    res.writeHead(req.method === "OPTIONS" ? 204 : answer.status, cors).end();
  }, host);
  origin = server.origin;
  return {
    ...server,
    requests,
    events: () => requests.flatMap((r) => (r.method === "POST" && r.event ? [r.event] : [])),
    trackerSrc: (siteId) => `${origin}/tracker.js?sid=${encodeURIComponent(siteId)}`,
    respondWith: (next) => {
      answer = next;
    },
  };
}

/**
 * Builds the tracker from source (so the tests always exercise the current
 * tracker.js) and loads the Worker's module that fills it in.
 */
export async function loadTrackerScript(): Promise<typeof import("../../src/tracker/script")> {
  const { writeTrackerBundle } = await import("../../scripts/build-tracker.mjs");
  await writeTrackerBundle();
  return import("../../src/tracker/script");
}

// ----------------------------------------------------------------- pages

// Runs in every page before its own scripts: records uncaught errors and
// unhandled rejections as the page sees them, and the order in which the
// tracker called fetch (the calls go through unchanged).
const PAGE_PROBE = `
window.__errors = [];
addEventListener("error", function (e) { __errors.push(String(e.message)); });
addEventListener("unhandledrejection", function (e) { __errors.push("unhandled rejection: " + String(e.reason)); });
window.__sent = [];
var realFetch = window.fetch;
window.fetch = function (url, init) {
  __sent.push(init && typeof init.body === "string" ? init.body : "");
  return realFetch.apply(this, arguments);
};
`;

export interface WatchedPage {
  page: Page;
  context: BrowserContext;
  /** Errors Playwright saw thrown in the page (uncaught exceptions, rejections). */
  pageErrors: string[];
  /** Bodies the page passed to fetch, in call order, parsed. */
  sent(): Promise<Record<string, unknown>[]>;
  /** Errors the page itself observed (window error / unhandledrejection). */
  errors(): Promise<string[]>;
}

export async function openPage(browser: Browser, options: BrowserContextOptions = {}): Promise<WatchedPage> {
  const context = await browser.newContext(options);
  await context.addInitScript(PAGE_PROBE);
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on("pageerror", (error) => pageErrors.push(error.message));
  return {
    page,
    context,
    pageErrors,
    sent: async () => (await page.evaluate(() => (window as any).__sent as string[])).map((b) => JSON.parse(b)),
    errors: () => page.evaluate(() => (window as any).__errors as string[]),
  };
}

/** Makes the page report itself hidden (or visible again) and fires visibilitychange. */
export async function setPageHidden(page: Page, hidden: boolean): Promise<void> {
  // Headless Chromium never hides a page (no other tab, minimising or
  // lifecycle call changes document.visibilityState), so the test plays the
  // browser: it sets the state and dispatches the event the browser would.
  await page.evaluate((hidden) => {
    Object.defineProperty(document, "visibilityState", { configurable: true, get: () => (hidden ? "hidden" : "visible") });
    Object.defineProperty(document, "hidden", { configurable: true, get: () => hidden });
    document.dispatchEvent(new Event("visibilitychange"));
  }, hidden);
}

export async function storageSnapshot(page: Page): Promise<{ cookie: string; local: number; session: number; databases: number }> {
  return page.evaluate(async () => ({
    cookie: document.cookie,
    local: localStorage.length,
    session: sessionStorage.length,
    databases: (await indexedDB.databases()).length,
  }));
}

export async function waitFor<T>(read: () => T | Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await sleep(50);
    value = await read();
  }
  return value;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
