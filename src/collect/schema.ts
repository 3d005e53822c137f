/**
 * The collect payload (api.md, POST /api/collect): one event, or for
 * authenticated server-to-server calls an array of up to 100. Every field has
 * a rule and a message that names it; unknown fields are dropped.
 */
import * as v from "valibot";
import { ID_PATTERN, idRule } from "../ids";
import { badRequest } from "../http/errors";

export const MAX_BATCH = 100;

// C0 control characters and DEL have no business in a path, a name or a city;
// a lone UTF-16 surrogate (valid JSON, invalid text) would be stored garbled.
const NO_CONTROL = /^[^\u0000-\u001f\u007f\p{Cs}]*$/u;

function text(field: string, max: number) {
  return v.pipe(
    v.string(`${field} must be a string.`),
    v.maxLength(max, `${field} must be at most ${max} characters.`),
    v.regex(NO_CONTROL, `${field} must not contain control characters.`),
  );
}

function id(field: string) {
  return v.pipe(
    v.string(`${field} must be a string.`),
    v.regex(ID_PATTERN, idRule(field)),
  );
}

const EventSchema = v.object({
  t: v.optional(v.picklist(["pageview", "beacon", "event"], "t must be pageview, beacon or event."), "pageview"),
  p: v.pipe(text("p", 1024), v.startsWith("/", "p must be a page path starting with /.")),
  r: v.optional(text("r", 2048)),
  d: v.optional(
    v.pipe(
      v.number("d must be a number of seconds."),
      v.finite("d must be a number of seconds."),
      v.minValue(0, "d must be from 0 to 86400 seconds."),
      v.maxValue(86_400, "d must be from 0 to 86400 seconds."),
    ),
  ),
  sid: v.optional(id("sid")),
  tid: v.optional(id("tid")),
  en: v.optional(v.pipe(text("en", 64), v.minLength(1, "en must not be empty."))),
  us: v.optional(text("us", 256)),
  um: v.optional(text("um", 256)),
  uc: v.optional(text("uc", 256)),
  co: v.optional(v.pipe(v.string("co must be a string."), v.regex(/^[A-Za-z]{2}$/, "co must be a two-letter ISO 3166-1 country code."))),
  ci: v.optional(text("ci", 128)),
});

export type CollectEvent = v.InferOutput<typeof EventSchema>;

function parseEvent(input: unknown, where: string): CollectEvent {
  const prefix = where ? `${where}: ` : "";
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw badRequest("invalid_body", `${prefix}each event must be a JSON object.`);
  }
  const result = v.safeParse(EventSchema, input, { abortEarly: true });
  if (!result.success) {
    const issue = result.issues[0];
    const field = v.getDotPath(issue) ?? "body";
    const message = issue.message.startsWith("Invalid key") ? `${field} is required.` : issue.message;
    throw badRequest("invalid_field", prefix + message);
  }
  const event = result.output;
  if (event.t === "event" && !event.en) throw badRequest("invalid_field", `${prefix}en (the event name) is required when t is event.`);
  if (event.t === "beacon" && event.d === undefined) throw badRequest("invalid_field", `${prefix}d (seconds on page) is required when t is beacon.`);
  return event;
}

/** Parses the body; `batch` says whether it was an array (only servers may send one). */
export function parseCollectBody(json: unknown): { events: CollectEvent[]; batch: boolean } {
  if (!Array.isArray(json)) return { events: [parseEvent(json, "")], batch: false };
  if (json.length === 0) throw badRequest("invalid_body", "The batch is empty; send at least one event.");
  if (json.length > MAX_BATCH) throw badRequest("batch_too_large", `A batch holds at most ${MAX_BATCH} events; this one has ${json.length}.`);
  return { events: json.map((item, i) => parseEvent(item, `event [${i}]`)), batch: true };
}

/**
 * The stored path: no query string (UTM values travel in their own fields);
 * a fragment only when it is a hash-router route (`#/…` or `#!/…`).
 */
export function normalisePath(p: string): string {
  const hashAt = p.indexOf("#");
  const beforeHash = hashAt === -1 ? p : p.slice(0, hashAt);
  const fragment = hashAt === -1 ? "" : p.slice(hashAt + 1);
  const path = beforeHash.split("?", 1)[0]!;
  if (fragment.startsWith("/") || fragment.startsWith("!/")) return `${path}#${fragment.split("?", 1)[0]}`;
  return path;
}
