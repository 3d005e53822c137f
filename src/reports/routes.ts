/**
 * GET /api/<report>: authorise (admin, or a token scoped to this tenant),
 * validate the parameters, run the report, answer with the envelope
 * `{tenant_id, days, sampled, ...}` (api.md, Reports).
 */
import type { Hono } from "hono";
import { requireQuerySettings, type Settings } from "../config";
import { jsonResponse, methodNotAllowed } from "../http/errors";
import { identifyCaller, requireTenantAccess } from "../http/auth";
import { choiceParam, integerParam, tenantIdParam } from "../http/params";
import { sqlApiClient, type SqlApi } from "../store/sql-api";
import type { Scope } from "./sql";
import { overview } from "./overview";
import { pages } from "./pages";
import { referrers } from "./referrers";
import { geo } from "./geo";
import { devices } from "./devices";
import { events } from "./events";
import { realtime, REALTIME_MINUTES } from "./realtime";
import { timeseries } from "./timeseries";

interface ReportInput {
  api: SqlApi;
  scope: Scope & { window: { days: number } };
  url: URL;
  limit: () => number;
}

type Report = (input: ReportInput) => Promise<{ sampled: boolean } & Record<string, unknown>>;

const REPORTS: Record<string, Report> = {
  overview: ({ api, scope }) => overview(api, scope),
  pages: ({ api, scope, limit }) => pages(api, scope, limit()),
  referrers: ({ api, scope, limit }) => referrers(api, scope, limit()),
  geo: ({ api, scope }) => geo(api, scope),
  devices: ({ api, scope }) => devices(api, scope),
  events: ({ api, scope, limit }) => events(api, scope, limit()),
  realtime: ({ api, scope }) => realtime(api, { ...scope, window: { minutes: REALTIME_MINUTES } }),
  timeseries: ({ api, scope, url }) => timeseries(api, scope, choiceParam(url, "interval", ["hour", "day"] as const, "day")),
};

export function reportRoutes(app: Hono<{ Bindings: Env; Variables: { settings: Settings } }>): void {
  for (const [name, report] of Object.entries(REPORTS)) {
    app.get(`/api/${name}`, async (c) => {
      const settings = c.get("settings");
      const url = new URL(c.req.url);
      const caller = await identifyCaller(settings, c.req.raw);
      const tenantId = tenantIdParam(url);
      requireTenantAccess(caller, tenantId);
      const days = integerParam(url, "days", 1, 90, 30);
      // Only reports whose contract lists `limit` read (and so validate) it.
      const limit = () => integerParam(url, "limit", 1, 100, 20);
      const query = requireQuerySettings(settings);
      const api = sqlApiClient({ baseUrl: settings.sqlApiUrl, accountId: query.accountId, apiToken: query.apiToken });
      const scope = { dataset: query.dataset, tenantId, window: { days } };
      const { sampled, ...answer } = await report({ api, scope, url, limit });
      return jsonResponse({ tenant_id: tenantId, days, sampled, ...answer });
    });
    app.all(`/api/${name}`, methodNotAllowed("GET"));
  }
}
