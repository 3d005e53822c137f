/**
 * Settings: every var and secret the Worker reads, parsed and checked here
 * once per `env` object. The rest of the code receives `Settings` and never
 * touches `env.SOMETHING` strings.
 *
 * A missing secret is not fatal at start-up: only the routes that need it
 * answer 503 naming the setting (never its value), so that, say, collection
 * keeps working while the SQL API token is being rotated.
 */
import { ApiError } from "./http/errors";

export type SecretName = "AUTH_TOKEN" | "CF_API_TOKEN" | "FINGERPRINT_SECRET" | "INGEST_TOKEN";

export interface Settings {
  environment: string;
  isDevelopment: boolean;
  allowUnregisteredDomains: boolean;
  accountId: string;
  dataset: string;
  sqlApiUrl: string;
  /** Set only in local development: data points go to the local engine over HTTP. */
  localIngestUrl: string | null;
  secrets: Partial<Record<SecretName, string>>;
}

const DATASET_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const SECRET_NAMES: readonly SecretName[] = ["AUTH_TOKEN", "CF_API_TOKEN", "FINGERPRINT_SECRET", "INGEST_TOKEN"];

const cache = new WeakMap<object, Settings>();

export function settingsFrom(env: Env): Settings {
  const cached = cache.get(env);
  if (cached) return cached;
  const raw = env as unknown as Record<string, unknown>;
  const text = (name: string) => (typeof raw[name] === "string" ? (raw[name] as string).trim() : "");

  const environment = text("ENVIRONMENT") || "production";
  const dataset = text("ANALYTICS_DATASET") || "manhali_events";
  const sqlApiUrl = (text("ANALYTICS_SQL_API_URL") || "https://api.cloudflare.com/client/v4").replace(/\/+$/, "");
  const secrets: Settings["secrets"] = {};
  for (const name of SECRET_NAMES) {
    const value = text(name);
    if (value) secrets[name] = value;
  }
  const settings: Settings = {
    environment,
    isDevelopment: environment === "development",
    allowUnregisteredDomains: text("ALLOW_UNREGISTERED_DOMAINS") === "true",
    accountId: text("ACCOUNT_ID"),
    // The dataset name is spliced into SQL as an identifier: a bad one is a
    // deployment mistake, reported where it is used (see `requireDataset`).
    dataset: DATASET_PATTERN.test(dataset) ? dataset : "",
    sqlApiUrl,
    localIngestUrl: text("ANALYTICS_LOCAL_INGEST_URL") || null,
    secrets,
  };
  cache.set(env, settings);
  return settings;
}

function missingSetting(name: string, why: string): ApiError {
  return new ApiError(503, "missing_setting", `The server setting ${name} is not configured; ${why}.`);
}

export function requireSecret(settings: Settings, name: SecretName): string {
  const value = settings.secrets[name];
  if (!value) throw missingSetting(name, "ask the operator to set it with `wrangler secret put " + name + "`");
  return value;
}

export function requireQuerySettings(settings: Settings): { accountId: string; apiToken: string; dataset: string } {
  if (!settings.accountId) throw missingSetting("ACCOUNT_ID", "reports need the Cloudflare account id");
  if (!settings.dataset) throw missingSetting("ANALYTICS_DATASET", "it must be a plain dataset name");
  return { accountId: settings.accountId, apiToken: requireSecret(settings, "CF_API_TOKEN"), dataset: settings.dataset };
}
