/**
 * /api/timeseries: visitors and pageviews per hour or day, every bucket
 * present. One SQL API call; the Worker fills the empty buckets with zeros.
 * Buckets are UTC and cover the same rolling window as the other reports,
 * so the first bucket is partial (it starts before the window does).
 */
import type { SqlApi } from "../store/sql-api";
import { from, isType, num, run, SAMPLE_MAX, VISITORS, type Scope } from "./sql";

export type Interval = "hour" | "day";
const SECONDS: Record<Interval, number> = { hour: 3600, day: 86_400 };

export async function timeseries(api: SqlApi, scope: Scope & { window: { days: number } }, interval: Interval, now = Date.now()) {
  const unit = interval === "hour" ? "HOUR" : "DAY";
  const sql =
    `SELECT toUnixTimestamp(toStartOfInterval(timestamp, INTERVAL '1' ${unit})) AS t, ` +
    `sumIf(_sample_interval, ${isType("pageview")}) AS pageviews, ${VISITORS} AS visitors, ${SAMPLE_MAX} ` +
    `${from(scope)} GROUP BY t ORDER BY t ASC`;
  const { rows, sampled } = await run(api, sql);
  const byBucket = new Map(rows.map((row) => [num(row.t), row]));

  const step = SECONDS[interval];
  const nowSeconds = Math.floor(now / 1000);
  const last = nowSeconds - (nowSeconds % step);
  const windowStart = nowSeconds - scope.window.days * 86_400;
  const first = windowStart - (windowStart % step);
  const series = [];
  for (let t = first; t <= last; t += step) {
    const row = byBucket.get(t);
    series.push({ t: new Date(t * 1000).toISOString(), visitors: num(row?.visitors), pageviews: num(row?.pageviews) });
  }
  return { sampled, interval, series };
}
