/**
 * Tenant and site ids. They reach KV keys, `index1` and SQL text, so they are
 * held to one strict pattern (api.md): letters, digits, `_` and `-`, 1 to 64
 * characters, starting with a letter or digit.
 */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export function isId(value: unknown): value is string {
  return typeof value === "string" && ID_PATTERN.test(value);
}

export function idRule(field: string): string {
  return `${field} must be 1 to 64 letters, digits, '_' or '-', starting with a letter or digit.`;
}
