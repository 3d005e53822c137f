/**
 * Query-string parameters shared by reports and admin routes. Every rule is
 * strict: out of range is a 400, never silently clamped (api.md, Reports).
 */
import { idRule, isId } from "../ids";
import { badRequest } from "./errors";

/** An id from the query string, or null when absent; malformed is a 400. */
export function optionalIdParam(url: URL, name: string): string | null {
  const value = url.searchParams.get(name);
  if (value === null) return null;
  if (!isId(value)) throw badRequest("invalid_parameter", idRule(name));
  return value;
}

export function idParam(url: URL, name: string, what: string): string {
  const value = url.searchParams.get(name);
  if (value === null || value === "") throw badRequest("missing_parameter", `The query parameter ${name} (${what}) is required.`);
  return optionalIdParam(url, name)!;
}

export const tenantIdParam = (url: URL) => idParam(url, "tenant_id", "the tenant id");

export function integerParam(url: URL, name: string, min: number, max: number, fallback: number): number {
  const value = url.searchParams.get(name);
  if (value === null) return fallback;
  if (!/^\d{1,9}$/.test(value) || Number(value) < min || Number(value) > max) {
    throw badRequest("invalid_parameter", `${name} must be a whole number from ${min} to ${max}.`);
  }
  return Number(value);
}

export function choiceParam<T extends string>(url: URL, name: string, choices: readonly T[], fallback: T): T {
  const value = url.searchParams.get(name);
  if (value === null) return fallback;
  if (!(choices as readonly string[]).includes(value)) {
    throw badRequest("invalid_parameter", `${name} must be one of: ${choices.join(", ")}.`);
  }
  return value as T;
}
