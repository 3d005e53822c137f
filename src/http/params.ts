/**
 * Query-string parameters shared by reports and admin routes. Every rule is
 * strict: out of range is a 400, never silently clamped (api.md, Reports).
 */
import { idRule, isId } from "../ids";
import { badRequest } from "./errors";

export function tenantIdParam(url: URL): string {
  const value = url.searchParams.get("tenant_id");
  if (value === null || value === "") throw badRequest("missing_parameter", "The query parameter tenant_id is required.");
  if (!isId(value)) {
    throw badRequest("invalid_parameter", idRule("tenant_id"));
  }
  return value;
}

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
