/**
 * Where data points go. Production writes to the Analytics Engine binding;
 * local development posts the identical points to the local engine
 * (`local/analytics-engine`), because Miniflare's binding drops every write.
 * The choice is made once, from settings, in `sinkFor`.
 */
import type { Settings } from "../config";
import { ApiError } from "../http/errors";

export interface EventSink {
  /** Resolves once the points are handed over; the binding never confirms more than that. */
  write(points: AnalyticsEngineDataPoint[]): void | Promise<void>;
}

export function analyticsEngineSink(dataset: AnalyticsEngineDataset): EventSink {
  return {
    write(points) {
      try {
        for (const point of points) dataset.writeDataPoint(point);
      } catch {
        // The layout keeps points within Analytics Engine's limits, so this is
        // the platform failing: tell the client to retry rather than 500.
        throw new ApiError(503, "storage_unavailable", "The event store did not take the event; try again shortly.", { "retry-after": "5" });
      }
    },
  };
}

export function localEngineSink(ingestUrl: string, dataset: string): EventSink {
  return {
    async write(points) {
      let response: Response;
      try {
        response = await fetch(ingestUrl, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ dataset, points }),
        });
      } catch {
        throw new ApiError(503, "storage_unavailable", "The local Analytics Engine is not reachable; is `bun run dev` running?", { "retry-after": "5" });
      }
      if (!response.ok) {
        // A rejected point is a bug in the layout, not in the client's input: say so plainly.
        console.error(`local analytics engine rejected a write: HTTP ${response.status}`);
        throw new ApiError(503, "storage_unavailable", "The local Analytics Engine rejected the data point.", { "retry-after": "5" });
      }
      await response.body?.cancel();
    },
  };
}

export function sinkFor(settings: Settings, env: Env): EventSink {
  if (settings.localIngestUrl) return localEngineSink(settings.localIngestUrl, settings.dataset);
  return analyticsEngineSink(env.ANALYTICS);
}
