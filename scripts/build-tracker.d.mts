// Types of scripts/build-tracker.mjs, for the TypeScript tests that import it.

export declare const TRACKER_SOURCE: string;
export declare const TRACKER_BUNDLE: string;
export declare const SITE_ID_PLACEHOLDER: string;
export declare const COLLECT_URL_PLACEHOLDER: string;
export declare const TRACKER_GZIP_BUDGET: number;
export declare const ESBUILD_OPTIONS: import("esbuild").BuildOptions & { write: false };

export interface TrackerSizes {
  /** Bytes of src/tracker/tracker.js, comments included. */
  raw: number;
  minified: number;
  /** Minified, gzipped at level 9. */
  gzipped: number;
}

export interface TrackerBuild {
  template: string;
  /** First 12 hex digits of the template's SHA-256. */
  version: string;
  sizes: TrackerSizes;
}

export declare function gzipSize(text: string): number;
export declare function buildTracker(): Promise<TrackerBuild>;
export declare function writeTrackerBundle(): Promise<TrackerBuild & { changed: boolean }>;
