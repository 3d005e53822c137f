/** /api/devices: desktop, mobile and tablet. One SQL API call. */
import { COLUMN } from "../store/layout";
import type { SqlApi } from "../store/sql-api";
import { topValues, type Scope } from "./sql";

export async function devices(api: SqlApi, scope: Scope) {
  const top = await topValues(api, scope, COLUMN.device, 3);
  return { sampled: top.sampled, devices: top.rows.map(({ value, views, visitors }) => ({ device: value, views, visitors })) };
}
