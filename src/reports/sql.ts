/**
 * Shared SQL pieces for reports, in the Analytics Engine subset of ClickHouse
 * SQL (no JOIN, UNION, WITH, CASE; GROUP BY on names or aliases only).
 *
 * The SQL API has no bind parameters, so nothing from a request enters SQL
 * text except through this module: ids are checked against `ID_PATTERN`
 * before they get here, numbers are validated integers, column names come
 * from the layout, and any free text goes through `sqlString`.
 */
import { COLUMN, type EventType } from "../store/layout";
import type { Row, SqlApi } from "../store/sql-api";

/**
 * A ClickHouse string literal. Backslash and quote are escaped, and every
 * control character becomes `\xHH`, so no value can end the literal, start
 * a comment or smuggle a NUL into the parser.
 */
export function sqlString(value: string): string {
  let out = "'";
  for (const char of value) {
    const code = char.codePointAt(0)!;
    if (char === "\\" || char === "'") out += `\\${char}`;
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, "0")}`;
    else out += char;
  }
  return `${out}'`;
}

/** Whole numbers only: they are spliced as digits. */
function integer(value: number): string {
  if (!Number.isSafeInteger(value) || value < 0) throw new Error("SQL integers must be non-negative safe integers");
  return String(value);
}

export interface Scope {
  dataset: string;
  tenantId: string;
  /** How far back: `{ days: 30 }` or `{ minutes: 30 }`. */
  window: { days: number } | { minutes: number };
}

/** `FROM … WHERE` for one tenant and time window; the tenant predicate on `index1` always comes first. */
export function from(scope: Scope, ...conditions: string[]): string {
  const span = "days" in scope.window ? `INTERVAL '${integer(scope.window.days)}' DAY` : `INTERVAL '${integer(scope.window.minutes)}' MINUTE`;
  const where = [`${COLUMN.tenant} = ${sqlString(scope.tenantId)}`, `timestamp > now() - ${span}`, ...conditions];
  return `FROM ${scope.dataset} WHERE ${where.join(" AND ")}`;
}

export const isType = (type: EventType) => `${COLUMN.type} = ${sqlString(type)}`;
export const notEmpty = (column: string) => `${column} != ''`;

/** Sample-weighted count: each stored row stands for `_sample_interval` events. */
export const WEIGHTED_COUNT = "SUM(_sample_interval)";
export const VISITORS = `count(DISTINCT ${COLUMN.visitor})`;
/** Carried by every query so that `sampled` can be answered honestly. */
export const SAMPLE_MAX = "max(_sample_interval) AS sample_max";

export interface QueryResult {
  rows: Row[];
  sampled: boolean;
}

export async function run(api: SqlApi, sql: string): Promise<QueryResult> {
  const rows = await api.query(`${sql} FORMAT JSON`);
  return { rows, sampled: rows.some((row) => Number(row.sample_max) > 1) };
}

export const num = (value: unknown) => (typeof value === "number" && Number.isFinite(value) ? value : Number(value) || 0);
export const str = (value: unknown) => (typeof value === "string" ? value : value == null ? "" : String(value));

/**
 * Top values of one column among pageviews: the shape shared by pages,
 * referrers, UTM, countries and devices.
 */
export async function topValues(api: SqlApi, scope: Scope, column: string, limit: number, type: EventType = "pageview") {
  const sql =
    `SELECT ${column} AS value, ${WEIGHTED_COUNT} AS views, ${VISITORS} AS visitors, ${SAMPLE_MAX} ` +
    `${from(scope, isType(type), notEmpty(column))} ` +
    `GROUP BY value ORDER BY views DESC, value ASC LIMIT ${integer(limit)}`;
  const { rows, sampled } = await run(api, sql);
  return { sampled, rows: rows.map((row) => ({ value: str(row.value), views: num(row.views), visitors: num(row.visitors) })) };
}

export { integer };
