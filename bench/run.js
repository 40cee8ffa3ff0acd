// npm run bench: every benchmark, one after another, each in its own process.
const { spawnSync } = require("node:child_process");
const { existsSync } = require("node:fs");
const path = require("node:path");

const BENCHMARKS = ["keys.js", "deliveries.js", "collab.js", "dashboard.js", "events-scale.js"];
let failed = false;
for (const file of BENCHMARKS) {
  const script = path.join(__dirname, file);
  if (!existsSync(script)) continue;
  console.log(`\n== ${file}`);
  const result = spawnSync(process.execPath, [script], { stdio: "inherit" });
  if (result.status !== 0) failed = true;
}
console.log("\nResults are in bench/results/.");
process.exit(failed ? 1 : 0);
