/** /api/realtime: the last 30 minutes. Two SQL API calls in parallel. */
import { COLUMN } from "../store/layout";
import type { SqlApi } from "../store/sql-api";
import { from, isType, num, run, str, SAMPLE_MAX, VISITORS, WEIGHTED_COUNT, type Scope } from "./sql";

export const REALTIME_MINUTES = 30;
const REALTIME_PAGES = 20;

export async function realtime(api: SqlApi, scope: Scope) {
  const totalsSql = `SELECT ${VISITORS} AS visitors, sumIf(_sample_interval, ${isType("pageview")}) AS pageviews, ${SAMPLE_MAX} ${from(scope)}`;
  const pagesSql =
    `SELECT ${COLUMN.path} AS path, ${VISITORS} AS visitors, ${WEIGHTED_COUNT} AS views, ${SAMPLE_MAX} ` +
    `${from(scope, isType("pageview"))} GROUP BY path ORDER BY visitors DESC, views DESC, path ASC LIMIT ${REALTIME_PAGES}`;
  const [totals, top] = await Promise.all([run(api, totalsSql), run(api, pagesSql)]);
  const row = totals.rows[0] ?? {};
  return {
    sampled: totals.sampled || top.sampled,
    visitors: num(row.visitors),
    pageviews: num(row.pageviews),
    pages: top.rows.map((r) => ({ path: str(r.path), visitors: num(r.visitors) })),
  };
}
