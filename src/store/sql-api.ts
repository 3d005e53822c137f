/**
 * Client for the Analytics Engine SQL API. The same code talks to Cloudflare
 * in production and to the local engine in development: only `baseUrl`
 * differs. Upstream trouble never reaches the client raw: rate limits and
 * outages become 503 with Retry-After, a rejected query becomes 502 (and is
 * logged with its SQL, which holds no secret), and counts that the API sends
 * as strings (64-bit integers) come back as numbers.
 */
import { ApiError } from "../http/errors";

export type Row = Record<string, string | number | null>;

export interface SqlApi {
  query(sql: string): Promise<Row[]>;
}

export interface SqlApiOptions {
  baseUrl: string;
  accountId: string;
  apiToken: string;
  timeoutMs?: number;
}

const NUMERIC_TYPE = /^(Nullable\()?(U?Int\d+|Float\d+|Decimal)/;

function upstreamDown(code: string, message: string, retryAfter: string): ApiError {
  return new ApiError(503, code, message, { "retry-after": retryAfter });
}

export function sqlApiClient(options: SqlApiOptions): SqlApi {
  const url = `${options.baseUrl}/accounts/${encodeURIComponent(options.accountId)}/analytics_engine/sql`;
  const timeoutMs = options.timeoutMs ?? 10_000;
  return {
    async query(sql) {
      let response: Response;
      try {
        response = await fetch(url, {
          method: "POST",
          headers: { authorization: `Bearer ${options.apiToken}`, "content-type": "text/plain" },
          body: sql,
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch {
        throw upstreamDown("upstream_unavailable", "The analytics store did not answer in time; try again shortly.", "5");
      }
      if (response.status === 429) {
        await response.body?.cancel();
        const retryAfter = /^\d{1,5}$/.test(response.headers.get("retry-after") ?? "") ? response.headers.get("retry-after")! : "60";
        throw upstreamDown("upstream_rate_limited", "The analytics store is rate limiting us; try again later.", retryAfter);
      }
      if (response.status >= 500) {
        await response.body?.cancel();
        throw upstreamDown("upstream_unavailable", "The analytics store is unavailable; try again shortly.", "10");
      }
      if (response.status === 422 || response.status === 400) {
        const detail = (await response.text()).slice(0, 300);
        console.error(`analytics engine rejected a query (HTTP ${response.status}): ${detail} -- SQL: ${sql}`);
        throw new ApiError(502, "query_failed", "The analytics store rejected the report query; this is our bug, not your input.");
      }
      if (!response.ok) {
        await response.body?.cancel();
        // 401/403 here means our CF_API_TOKEN is wrong: an operator problem, not the caller's.
        console.error(`analytics engine SQL API answered HTTP ${response.status}`);
        throw new ApiError(502, "upstream_error", "The analytics store refused the request; the operator should check CF_API_TOKEN and ACCOUNT_ID.");
      }
      let body: { meta?: { name: string; type: string }[]; data?: Row[] };
      try {
        body = await response.json();
      } catch {
        throw new ApiError(502, "upstream_error", "The analytics store sent an answer we could not read.");
      }
      const numeric = (body.meta ?? []).filter((column) => NUMERIC_TYPE.test(column.type)).map((column) => column.name);
      return (body.data ?? []).map((row) => {
        for (const name of numeric) {
          const value = row[name];
          if (typeof value === "string") row[name] = Number(value);
        }
        return row;
      });
    },
  };
}
