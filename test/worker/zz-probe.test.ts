import { env } from "cloudflare:workers";
import { afterEach, expect, it, vi } from "vitest";
import { browserEvent, call, registerDomain } from "./helpers";

afterEach(() => { vi.useRealTimers(); vi.restoreAllMocks(); });

it("probe", async () => {
  const spy = vi.spyOn(env.ANALYTICS, "writeDataPoint");
  await registerDomain("probe1", "school.example");
  const r = await call(browserEvent({ sid: "probe1", p: "/a" }));
  console.log(r.status, await r.text(), JSON.stringify(spy.mock.calls));
  vi.setSystemTime(new Date("2030-01-02T03:04:05Z"));
  console.log("date", new Date().toISOString(), Date.now());
  const r2 = await call(browserEvent({ sid: "probe1", p: "/a" }));
  console.log(r2.status, JSON.stringify(spy.mock.calls[1]));
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(new Date("2031-01-02T03:04:05Z"));
  console.log("date2", new Date().toISOString());
  const r3 = await call(browserEvent({ sid: "probe1", p: "/a" }));
  console.log(r3.status, JSON.stringify(spy.mock.calls[2]));
  expect(1).toBe(1);
});
