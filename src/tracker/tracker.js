// Manhali Analytics browser tracker.
//
// Runs on every page of every tenant site, so it must stay tiny (the size test
// fails above 1,000 bytes gzipped), must never throw into the host page, and
// must store nothing in the browser: no cookie, no localStorage or
// sessionStorage, no identifier. The Worker fills in the two placeholders
// below when it serves /tracker.js?sid=…; scripts/build-tracker.mjs minifies
// this file into the template it serves.
//
// What it sends (one POST per event, body = one JSON object, see api.md):
//   pageview  {t, p, sid, r?, us?, um?, uc?}  on load and on every route change
//   beacon    {t, p, sid, d}                  once per pageview, when it ends
//   event     {t, p, sid, en}                 manhali.track("name")
//
// What counts as a pageview: the page's *route* is location.pathname plus the
// fragment when the fragment is a route (#/… or #!/…, as hash routers write
// it). A new pageview is sent whenever the route differs from the one last
// counted, whichever way it changed (pushState, replaceState, popstate,
// hashchange). A query-string-only change, a replaceState to the same route
// or an anchor jump (#section) is not a new page. manhali.pageview() always
// counts, and so does a page restored from the back/forward cache.

var SITE_ID = "__MANHALI_SID__";
var COLLECT_URL = "__MANHALI_COLLECT_URL__";

var win = window;
var doc = document;
var loc = location;
var hist = history;

// Only the landing pageview has an outside referrer: later SPA pageviews come
// from this same site, and re-sending it would count one visit many times.
var referrer = doc.referrer;

var route; // route of the pageview in progress; undefined until the first
var ended = 1; // whether that pageview's beacon has been sent
var visibleMs = 0; // visible time of the pageview in progress, up to visibleSince
var visibleSince = 0; // performance.now() when it last became visible; 0 while hidden

function noop() {}

// Every entry point from the browser or the host page goes through this: a
// tracker bug or a hostile argument must never surface as the page's error.
function guard(fn) {
  return function (arg) {
    try {
      fn(arg);
    } catch (e) {}
  };
}

function currentRoute() {
  return (loc.pathname + (/^#!?\//.test(loc.hash) ? loc.hash : "")).slice(0, 1024);
}

function send(data) {
  data.sid = SITE_ID;
  data.p = data.p || currentRoute();
  // A string body is sent as text/plain and no custom header is set, so the
  // cross-origin POST is a CORS "simple request": the browser sends no
  // preflight. fetch keepalive rather than sendBeacon, for every kind of
  // event: keepalive lets the request outlive the page (pagehide), and
  // credentials "omit" guarantees no cookie of the collector's domain ever
  // travels with it (sendBeacon always sends credentials). One attempt only:
  // a lost event is cheaper than a retry loop on someone else's page.
  fetch(COLLECT_URL, {
    method: "POST",
    body: JSON.stringify(data),
    keepalive: true,
    credentials: "omit",
  }).catch(noop); // a blocked or failed request is not the page's problem
}

function pauseClock() {
  if (visibleSince) visibleMs += performance.now() - visibleSince;
  visibleSince = 0;
}

function startClock() {
  // A page opened in a background tab is counted, but its hidden time is not.
  visibleSince = doc.visibilityState == "hidden" ? 0 : performance.now();
}

// Sends the beacon of the pageview in progress, once.
function endPageview() {
  pauseClock();
  if (!ended) {
    ended = 1;
    send({ t: "beacon", p: route, d: Math.min(Math.round(visibleMs / 1e3), 86400) });
  }
}

function pageview(force) {
  var next = currentRoute();
  var data = { t: "pageview", p: next };
  if (next == route && !force) return; // same route: not a new page
  endPageview(); // the ending page's beacon goes before the new pageview
  route = next;
  ended = visibleMs = 0;
  startClock();
  if (referrer) data.r = referrer.slice(0, 2048);
  referrer = 0;
  ["source", "medium", "campaign"].forEach(function (name) {
    var value = new URLSearchParams(loc.search).get("utm_" + name);
    if (value) data["u" + name[0]] = value.slice(0, 256); // us, um, uc
  });
  send(data);
}

var onRouteChange = guard(function () {
  pageview();
});

function start() {
  var queued = win.manhali;
  var api = {
    track: guard(function (name) {
      send({ t: "event", en: name });
    }),
    pageview: guard(function () {
      pageview(1);
    }),
  };
  // Loaded twice on one page: the first copy already counts everything.
  if (queued && !queued.q) return;
  win.manhali = api;

  ["pushState", "replaceState"].forEach(function (name) {
    var original = hist[name];
    hist[name] = function () {
      // The router's own call runs unguarded: its errors are its own to throw.
      var result = original.apply(this, arguments);
      onRouteChange();
      return result;
    };
  });
  // Setting location.hash fires both popstate and hashchange: the second
  // finds the route already counted.
  win.addEventListener("popstate", onRouteChange);
  win.addEventListener("hashchange", onRouteChange);

  // Hidden is the last moment a page is sure to see (mobile browsers may
  // discard a background tab without pagehide), so the beacon goes then.
  doc.addEventListener(
    "visibilitychange",
    guard(function () {
      doc.visibilityState == "hidden" ? endPageview() : startClock();
    }),
  );
  win.addEventListener("pagehide", guard(endPageview));
  // Back/forward cache: the page comes back without a load, as a new visit of it.
  win.addEventListener(
    "pageshow",
    guard(function (event) {
      if (event.persisted) pageview(1);
    }),
  );

  pageview();
  // Replay calls made through the snippet before this script arrived, after
  // the landing pageview they belong to.
  ((queued && queued.q) || []).forEach(
    guard(function (call) {
      api[call[0]](call[1][0]);
    }),
  );
}

// A prerendered page (speculation rules) may never be shown: count it only
// once the visitor actually navigates to it.
guard(function () {
  doc.prerendering
    ? doc.addEventListener("prerenderingchange", guard(start), { once: true })
    : start();
})();
