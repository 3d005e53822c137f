/** /api/overview: totals and the top five pages. Two SQL API calls, run in parallel. */
import { COLUMN, type EventType } from "../store/layout";
import type { SqlApi } from "../store/sql-api";
import { from, isType, num, run, topValues, SAMPLE_MAX, VISITORS, type Scope } from "./sql";

export async function overview(api: SqlApi, scope: Scope) {
  const weightedIf = (type: EventType) => `sumIf(_sample_interval, ${isType(type)})`;
  const totalsSql =
    `SELECT ${weightedIf("pageview")} AS pageviews, ${weightedIf("event")} AS events, ` +
    `${weightedIf("beacon")} AS beacons, ` +
    // Weighted mean of durations: SUM(x * interval) / SUM(interval), computed below.
    `sumIf(${COLUMN.duration} * _sample_interval, ${isType("beacon")}) AS duration_sum, ` +
    `${VISITORS} AS visitors, ${SAMPLE_MAX} ${from(scope)}`;
  const [totals, top] = await Promise.all([run(api, totalsSql), topValues(api, scope, COLUMN.path, 5)]);
  const row = totals.rows[0] ?? {};
  const beacons = num(row.beacons);
  return {
    sampled: totals.sampled || top.sampled,
    totals: {
      visitors: num(row.visitors),
      pageviews: num(row.pageviews),
      events: num(row.events),
      avg_duration: beacons > 0 ? Math.round((num(row.duration_sum) / beacons) * 10) / 10 : 0,
    },
    top_pages: top.rows.map(({ value, views, visitors }) => ({ path: value, views, visitors })),
  };
}
