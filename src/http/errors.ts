/**
 * The one way an error leaves the Worker: `ApiError` carries the status, a
 * stable snake_case code and a sentence a person can act on (api.md,
 * "Everywhere"). Route code throws it; `errorResponse` turns it into JSON.
 */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export const JSON_CONTENT_TYPE = "application/json; charset=utf-8";

export function jsonResponse(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": JSON_CONTENT_TYPE, ...headers },
  });
}

export function errorResponse(error: ApiError): Response {
  return jsonResponse({ error: { code: error.code, message: error.message } }, error.status, error.headers);
}

/** Shorthands for the statuses routes use most; each names the problem. */
export const badRequest = (code: string, message: string) => new ApiError(400, code, message);
export const unauthorized = (message: string) => new ApiError(401, "unauthorized", message);
export const forbidden = (message: string) => new ApiError(403, "forbidden", message);
export const notFound = (message: string) => new ApiError(404, "not_found", message);

/** A route handler for the methods a path does not answer: 405 with `Allow`. */
export function methodNotAllowed(allowed: string) {
  return (): never => {
    throw new ApiError(405, "method_not_allowed", `Use ${allowed} on this route.`, { allow: allowed });
  };
}
