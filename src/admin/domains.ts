/**
 * The admin allowlist operations behind GET/POST/DELETE /api/admin/domains.
 * Hosts are normalised before they are stored or compared (hosts.ts).
 */
import { badRequest, notFound } from "../http/errors";
import { normaliseHost } from "./hosts";
import { readAllowlist, writeAllowlist } from "./allowlist";

export interface DomainChange {
  tenant_id: string;
  domain: string;
  domains: string[];
}

export function domainFromBody(body: unknown): string {
  const raw = (body as { domain?: unknown } | null)?.domain;
  if (typeof body !== "object" || body === null || Array.isArray(body) || raw === undefined) {
    throw badRequest("invalid_field", 'domain is required: send {"domain": "example.com"}.');
  }
  if (typeof raw !== "string") throw badRequest("invalid_field", "domain must be a string.");
  const domain = normaliseHost(raw);
  if (!domain) throw badRequest("invalid_field", "domain must be a host name such as example.com or *.example.com.");
  return domain;
}

export async function listDomains(kv: KVNamespace, tenantId: string): Promise<string[]> {
  return (await readAllowlist(kv, tenantId)).sort();
}

/** Returns whether the domain was new (201) or already there (200). */
export async function addDomain(kv: KVNamespace, tenantId: string, domain: string): Promise<{ created: boolean; change: DomainChange }> {
  const domains = await readAllowlist(kv, tenantId);
  const created = !domains.includes(domain);
  const next = created ? [...domains, domain].sort() : domains.sort();
  if (created) await writeAllowlist(kv, tenantId, next);
  return { created, change: { tenant_id: tenantId, domain, domains: next } };
}

export async function removeDomain(kv: KVNamespace, tenantId: string, domain: string): Promise<DomainChange> {
  const domains = await readAllowlist(kv, tenantId);
  if (!domains.includes(domain)) throw notFound(`${domain} is not on the allowlist of tenant ${tenantId}.`);
  const next = domains.filter((d) => d !== domain).sort();
  await writeAllowlist(kv, tenantId, next);
  return { tenant_id: tenantId, domain, domains: next };
}
