/**
 * Reading request bodies with a hard size limit. `Content-Length` is checked
 * first, then the stream is counted as it arrives, because a chunked body has
 * no length and a lying one must not make us buffer more than the limit.
 */
import { ApiError, badRequest } from "./errors";

export function mediaType(request: Request): string {
  return (request.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
}

export function requireMediaType(request: Request, allowed: readonly string[]): void {
  const type = mediaType(request);
  if (!allowed.includes(type)) {
    throw new ApiError(415, "unsupported_media_type", `Send the body as ${allowed.join(" or ")}${type ? `, not ${type}` : ""}.`);
  }
}

function tooLarge(limit: number): ApiError {
  return new ApiError(413, "payload_too_large", `The body is larger than ${limit} bytes.`);
}

export async function readText(request: Request, limit: number): Promise<string> {
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > limit) throw tooLarge(limit);
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw badRequest("invalid_body", "The body is not valid UTF-8.");
  }
}

export async function readJson(request: Request, limit: number): Promise<unknown> {
  const text = await readText(request, limit);
  if (text.trim() === "") throw badRequest("invalid_body", "The body is empty; send a JSON document.");
  try {
    return JSON.parse(text);
  } catch {
    throw badRequest("invalid_json", "The body is not valid JSON.");
  }
}
