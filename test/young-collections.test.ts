import { spawnSync } from "node:child_process";
import path from "node:path";

// What a request leaves behind for the old generation. Each variant runs in its own `node --expose-gc`
// (test/helpers/young-collections.js, on the built dist): 2,000 requests' values, two forced young
// collections, and the old generation's growth. A value that lives only as long as its request must
// die young; one that a young collection cannot prove dead is promoted with everything it reaches,
// and waits for a full collection. The controls show the measure sees that when it happens.
function promotedBytes(variant: string): number {
  const run = spawnSync(process.execPath, ["--expose-gc", path.join(__dirname, "helpers", "young-collections.js"), variant], {
    encoding: "utf8",
  });
  if (run.status !== 0) throw new Error(`young-collections.js ${variant} exited with ${run.status}: ${run.stderr}`);
  return (JSON.parse(run.stdout) as { promotedBytes: number }).promotedBytes;
}

const MB = 1024 * 1024;

/** The control: a WeakMap keyed by the context, its value leading back to it. */
let weakMap: number;
beforeAll(() => {
  weakMap = promotedBytes("weak-map");
});

test("a WeakMap keyed by a request's context keeps the request through young collections; requestSlot does not", () => {
  expect(weakMap).toBeGreaterThan(2 * MB);
  expect(promotedBytes("slot")).toBeLessThan(weakMap / 20);
});

test("a request's TenantContext and loaders die with the request, in a young collection", () => {
  expect(promotedBytes("tenant-and-loaders")).toBeLessThan(weakMap / 20);
});

test("the context a gateway's executor is handed dies young, where Apollo's own builder's is promoted", () => {
  const apollo = promotedBytes("apollo-gateway-context");
  // Should Apollo's builder stop doing this, schema/gateway-request-context.ts is no longer needed.
  expect(apollo).toBeGreaterThan(2 * MB);
  expect(promotedBytes("gateway-context")).toBeLessThan(apollo / 20);
});
