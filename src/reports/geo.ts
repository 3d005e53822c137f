/** /api/geo: countries, and cities within their country. Two SQL API calls in parallel. */
import { COLUMN } from "../store/layout";
import type { SqlApi } from "../store/sql-api";
import { from, isType, notEmpty, num, run, str, topValues, SAMPLE_MAX, VISITORS, WEIGHTED_COUNT, type Scope } from "./sql";

const GEO_LIMIT = 100;

export async function geo(api: SqlApi, scope: Scope) {
  const citiesSql =
    `SELECT ${COLUMN.country} AS country, ${COLUMN.city} AS city, ${WEIGHTED_COUNT} AS views, ${VISITORS} AS visitors, ${SAMPLE_MAX} ` +
    `${from(scope, isType("pageview"), notEmpty(COLUMN.city))} ` +
    `GROUP BY country, city ORDER BY views DESC, country ASC, city ASC LIMIT ${GEO_LIMIT}`;
  const [countries, cities] = await Promise.all([topValues(api, scope, COLUMN.country, GEO_LIMIT), run(api, citiesSql)]);
  return {
    sampled: countries.sampled || cities.sampled,
    countries: countries.rows.map(({ value, views, visitors }) => ({ country: value, views, visitors })),
    cities: cities.rows.map((row) => ({ country: str(row.country), city: str(row.city), views: num(row.views), visitors: num(row.visitors) })),
  };
}
