import { describe, expect, it } from "vitest";
import { ADMIN, BASE, call } from "./helpers";

describe("GET /health", () => {
  it("answers ok with the environment and no secret", async () => {
    const response = await call(new Request(`${BASE}/health`));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json; charset=utf-8");
    const body = await response.json();
    expect(body).toMatchObject({ status: "ok", environment: "production" });
    expect(JSON.stringify(body)).not.toContain(ADMIN);
  });
});
