// The data point layout table in ANALYTICS_ARCHITECTURE.md is what operators
// read to query the dataset by hand: it must match the code exactly.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { LAYOUT_TABLE } from "../../src/store/layout";

describe("ANALYTICS_ARCHITECTURE.md", () => {
  const doc = readFileSync(new URL("../../ANALYTICS_ARCHITECTURE.md", import.meta.url), "utf8");
  const documented = [...doc.matchAll(/^\| `(index1|blob\d+|double\d+)` \| (\w+) \|/gm)].map((m) => [m[1], m[2]]);

  it("documents every column of the data point layout, in order, with its field", () => {
    expect(documented).toEqual(LAYOUT_TABLE.map(([column, field]) => [column, field]));
  });
});
