/** /api/pages: pages by views. One SQL API call. */
import { COLUMN } from "../store/layout";
import type { SqlApi } from "../store/sql-api";
import { topValues, type Scope } from "./sql";

export async function pages(api: SqlApi, scope: Scope, limit: number) {
  const top = await topValues(api, scope, COLUMN.path, limit);
  return { sampled: top.sampled, pages: top.rows.map(({ value, views, visitors }) => ({ path: value, views, visitors })) };
}
