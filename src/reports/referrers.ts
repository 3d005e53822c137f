/**
 * /api/referrers: referring domains and UTM sources, mediums and campaigns.
 * Four SQL API calls in parallel: without UNION or arrayJoin, distinct
 * visitors per value of four different columns need four GROUP BYs.
 */
import { COLUMN } from "../store/layout";
import type { SqlApi } from "../store/sql-api";
import { topValues, type Scope } from "./sql";

export async function referrers(api: SqlApi, scope: Scope, limit: number) {
  const [domains, sources, mediums, campaigns] = await Promise.all(
    [COLUMN.referrer, COLUMN.utmSource, COLUMN.utmMedium, COLUMN.utmCampaign].map((column) => topValues(api, scope, column, limit)),
  );
  return {
    sampled: [domains, sources, mediums, campaigns].some((r) => r!.sampled),
    referrers: domains!.rows.map(({ value, views, visitors }) => ({ domain: value, views, visitors })),
    utm: { sources: sources!.rows, mediums: mediums!.rows, campaigns: campaigns!.rows },
  };
}
