/** /api/events: custom events by count. One SQL API call. */
import { COLUMN } from "../store/layout";
import type { SqlApi } from "../store/sql-api";
import { topValues, type Scope } from "./sql";

export async function events(api: SqlApi, scope: Scope, limit: number) {
  const top = await topValues(api, scope, COLUMN.eventName, limit, "event");
  return { sampled: top.sampled, events: top.rows.map(({ value, views, visitors }) => ({ name: value, count: views, visitors })) };
}
