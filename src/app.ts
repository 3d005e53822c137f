/**
 * Routes and middleware wired together. Each handler reads like api.md:
 * parse, authorise, call one domain function, shape the answer.
 */
import { Hono, type Context } from "hono";
import { settingsFrom, requireSecret, type Settings } from "./config";
import { ApiError, errorResponse, jsonResponse, methodNotAllowed, notFound } from "./http/errors";
import { authorizeAdmin } from "./http/auth";
import { readJson, requireMediaType } from "./http/body";
import { idParam, tenantIdParam } from "./http/params";
import { collect } from "./collect/collect";
import { corsHeaders, preflight } from "./collect/cors";
import { sinkFor } from "./store/sink";
import { addDomain, domainFromBody, listDomains, removeDomain } from "./admin/domains";
import { mintToken, tokenRequestFromBody } from "./admin/tokens";
import { reportRoutes } from "./reports/routes";
import { trackerResponse } from "./tracker/route";

type App = { Bindings: Env; Variables: { settings: Settings } };

export const VERSION = "0.1.0";
const ADMIN_BODY_LIMIT = 4 * 1024;

export function buildApp(): Hono<App> {
  const app = new Hono<App>();

  app.use(async (c, next) => {
    c.set("settings", settingsFrom(c.env));
    await next();
  });

  app.get("/health", (c) => {
    const settings = c.get("settings");
    return jsonResponse({ status: "ok", version: VERSION, environment: settings.environment });
  });
  app.all("/health", methodNotAllowed("GET"));

  app.on(["GET", "HEAD"], "/tracker.js", (c) => {
    return trackerResponse(c.req.raw, idParam(new URL(c.req.url), "sid", "your site id"));
  });
  app.all("/tracker.js", methodNotAllowed("GET, HEAD"));

  // A POST's errors too carry CORS headers, so a page that posts JSON can read
  // why it was refused; a refused preflight grants nothing.
  app.use("/api/collect", async (c, next) => {
    await next();
    if (c.req.method !== "POST") return;
    for (const [name, value] of Object.entries(corsHeaders(c.req.raw))) {
      if (!c.res.headers.has(name)) c.res.headers.set(name, value);
    }
  });
  app.post("/api/collect", (c) => {
    const settings = c.get("settings");
    return collect(c.req.raw, { settings, kv: c.env.DOMAINS_KV, sink: sinkFor(settings, c.env) });
  });
  app.options("/api/collect", (c) => preflight(c.req.raw, c.get("settings"), c.env.DOMAINS_KV));
  app.all("/api/collect", methodNotAllowed("POST, OPTIONS"));

  const domainsRoute = async (c: Context<App>, action: "list" | "add" | "remove") => {
    const settings = c.get("settings");
    await authorizeAdmin(settings, c.req.raw);
    const tenantId = tenantIdParam(new URL(c.req.url));
    const kv = c.env.DOMAINS_KV;
    if (action === "list") return jsonResponse({ tenant_id: tenantId, domains: await listDomains(kv, tenantId) });
    requireMediaType(c.req.raw, ["application/json"]);
    const domain = domainFromBody(await readJson(c.req.raw, ADMIN_BODY_LIMIT));
    if (action === "remove") return jsonResponse(await removeDomain(kv, tenantId, domain));
    const { created, change } = await addDomain(kv, tenantId, domain);
    return jsonResponse(change, created ? 201 : 200);
  };
  app.get("/api/admin/domains", (c) => domainsRoute(c, "list"));
  app.post("/api/admin/domains", (c) => domainsRoute(c, "add"));
  app.delete("/api/admin/domains", (c) => domainsRoute(c, "remove"));
  app.all("/api/admin/domains", methodNotAllowed("GET, POST, DELETE"));

  app.post("/api/admin/token", async (c) => {
    const settings = c.get("settings");
    await authorizeAdmin(settings, c.req.raw);
    requireMediaType(c.req.raw, ["application/json"]);
    const { tenantId, ttl } = tokenRequestFromBody(await readJson(c.req.raw, ADMIN_BODY_LIMIT));
    const minted = await mintToken(requireSecret(settings, "AUTH_TOKEN"), tenantId, ttl);
    return jsonResponse({ token: minted.token, tenant_id: tenantId, expires_at: minted.expiresAt.toISOString() }, 201);
  });
  app.all("/api/admin/token", methodNotAllowed("POST"));

  reportRoutes(app);

  app.notFound(() => errorResponse(notFound("No such route; see the README for the routes this service answers.")));
  app.onError((error) => {
    if (error instanceof ApiError) return errorResponse(error);
    // Never echo internals: the message could hold request data. Log the kind only.
    console.error(`unhandled error: ${error.name}`, error.stack);
    return errorResponse(new ApiError(500, "internal_error", "Something went wrong on our side; try again."));
  });
  return app;
}
