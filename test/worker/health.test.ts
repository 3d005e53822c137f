import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

describe("GET /health", () => {
  it("answers ok with the environment and no secret", async () => {
    const response = await exports.default.fetch("http://analytics.test/health");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/json; charset=utf-8");
    const body = await response.json();
    expect(body).toMatchObject({ status: "ok", environment: "production" });
    expect(JSON.stringify(body)).not.toContain("test-admin-token");
  });
});
