// A small closed-loop HTTP load generator: `connections` keep-alive
// connections each send the next request as soon as the previous answer
// arrives, for `seconds`. Bounded in time and aimed at loopback only.
import http from "node:http";

export async function load({ url, host, method = "GET", headers = {}, body, connections = 50, seconds = 5, expectStatus }) {
  const target = new URL(url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const deadline = Date.now() + seconds * 1000;
  let done = 0;
  let wrong = 0;
  const one = () =>
    new Promise((resolve, reject) => {
      const req = http.request(
        { agent, hostname: target.hostname, port: target.port, path: target.pathname + target.search, method, headers: { host, ...headers } },
        (res) => {
          if (expectStatus && res.statusCode !== expectStatus) wrong++;
          res.resume();
          res.on("end", resolve);
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  const started = Date.now();
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (Date.now() < deadline) {
        await one();
        done++;
      }
    }),
  );
  agent.destroy();
  const elapsed = (Date.now() - started) / 1000;
  return { requests: done, perSecond: done / elapsed, wrong };
}
