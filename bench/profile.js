// Where a request's time goes, and what it costs in CPU: `node bench/profile.js [list|viewer]`.
// Keyway (and the scenario's ceiling) serve REQUESTS requests from 50 connections; each server's
// CPU time (user + system, from /proc) per request is printed, which a loaded machine disturbs far
// less than requests/s. With PROFILE_CPU=1 Keyway runs under --cpu-prof and the functions with the
// most self time are listed (the profile stays in the printed directory for Chrome's DevTools).
const { spawn } = require("node:child_process");
const { readFileSync, readdirSync, mkdtempSync } = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const autocannon = require("autocannon");
const { startDatabase, startKeyway, startScript, seedListKeys, residentMb, cpuSeconds } = require("./lib/server");

const SCENARIO = process.argv[2] ?? "list";
const REQUESTS = Number(process.env.PROFILE_REQUESTS ?? 20_000);
const LIST_QUERY = `{ organizations { apiKeys(first: 20) { edges { node {
  id name description environment role status prefix createdAt lastUsedAt usageCount } } pageInfo { hasNextPage endCursor } } } }`;
const QUERY = SCENARIO === "viewer" ? "{ viewer { environment } }" : LIST_QUERY;

async function run(url, body, headers, amount) {
  const result = await autocannon({
    url,
    method: "POST",
    connections: 50,
    amount,
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${result.non2xx} non-2xx, ${result.errors} errors`);
  return result;
}

/** With PROFILE_STRACE=1: counts the server's system calls during a run (strace -c), printed per request. */
async function countingSyscalls(pid, work) {
  if (process.env.PROFILE_STRACE !== "1") return work();
  const output = path.join(mkdtempSync(path.join(os.tmpdir(), "keyway-strace-")), "counts");
  const strace = spawn("strace", ["-c", "-f", "-o", output, "-p", String(pid)], { stdio: "ignore" });
  await new Promise((resolve) => setTimeout(resolve, 500));
  const result = await work();
  await new Promise((resolve) => {
    strace.once("exit", resolve);
    strace.kill("SIGINT");
  });
  const lines = readFileSync(output, "utf8").split("\n");
  for (const line of lines) {
    const match = /^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)$/.exec(line);
    if (match && Number(match[1]) >= REQUESTS / 10)
      console.log(`    ${match[2].padEnd(16)} ${(Number(match[1]) / REQUESTS).toFixed(2)} per request`);
  }
  return result;
}

/** CPU microseconds per request of the server `pid` over `REQUESTS` requests, after a warm-up. */
async function cpuPerRequest(pid, url, body, headers) {
  await run(url, body, headers, Math.min(5000, REQUESTS));
  const before = cpuSeconds(pid);
  const result = await countingSyscalls(pid, () => run(url, body, headers, REQUESTS));
  return {
    microseconds: Math.round(((cpuSeconds(pid) - before) * 1e6) / REQUESTS),
    requestsPerSecond: Math.round(result.requests.average),
  };
}

function topFunctions(dir, count = 40) {
  const file = readdirSync(dir).find((name) => name.endsWith(".cpuprofile"));
  const profile = JSON.parse(readFileSync(path.join(dir, file), "utf8"));
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfTime = new Map();
  const deltas = profile.timeDeltas;
  profile.samples.forEach((id, index) => {
    const { callFrame } = byId.get(id);
    const where = `${callFrame.functionName || "(anonymous)"} ${callFrame.url.replace(/^.*node_modules\//, "~/").replace(/^file:\/\/.*?\/(dist|src)\//, "$1/")}:${callFrame.lineNumber + 1}`;
    selfTime.set(where, (selfTime.get(where) ?? 0) + (deltas[index] ?? 0));
  });
  const total = [...selfTime.values()].reduce((a, b) => a + b, 0);
  const byPackage = new Map();
  for (const [where, time] of selfTime) {
    const match = /~\/((@[^/]+\/)?[^/]+)/.exec(where);
    const bucket = match ? match[1] : /(dist|src)\//.test(where) ? "keyway" : where.startsWith("(") ? where.split(" ")[0] : "node";
    byPackage.set(bucket, (byPackage.get(bucket) ?? 0) + time);
  }
  console.log(`\nSelf time by package (${file}):`);
  for (const [name, time] of [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 15))
    console.log(`  ${((100 * time) / total).toFixed(1).padStart(5)} %  ${name}`);
  console.log(`\nTop ${count} functions by self time:`);
  for (const [where, time] of [...selfTime].sort((a, b) => b[1] - a[1]).slice(0, count))
    console.log(`  ${((100 * time) / total).toFixed(1).padStart(5)} %  ${where}`);
}

async function main() {
  const db = await startDatabase();
  const profileDir = process.env.PROFILE_CPU === "1" ? mkdtempSync(path.join(os.tmpdir(), "keyway-profile-")) : null;
  if (profileDir) process.env.KEYWAY_PROFILE_DIR = profileDir; // read by startKeyway
  const keyway = await startKeyway(db.url);
  try {
    const organizationId = await seedListKeys(db.url);
    const headers = { authorization: `Bearer ${keyway.key}` };
    const measured = await cpuPerRequest(keyway.process.pid, keyway.url, { query: QUERY }, headers);
    const unit = "µs of CPU";
    const cost = (m) => m.microseconds;
    const peak = Math.round(residentMb(keyway.process.pid)?.peak ?? NaN);
    console.log(
      `Keyway ${SCENARIO}: ${cost(measured)} ${unit} per request (${measured.requestsPerSecond ?? "-"} req/s), peak RSS ${peak} MB`,
    );
    // The scenario's ceiling, measured the same way.
    const ceiling =
      SCENARIO === "viewer"
        ? await startScript("baselines/apollo-hello.js", {})
        : await startScript("baselines/pg-list.js", { DATABASE_URL: db.url, ORGANIZATION_ID: organizationId });
    try {
      const bare = await cpuPerRequest(ceiling.process.pid, ceiling.url, SCENARIO === "viewer" ? { query: "{ hello }" } : {}, {});
      console.log(
        `${SCENARIO === "viewer" ? "Apollo { hello }" : "node:http + pg"}: ${cost(bare)} ${unit} per request (${bare.requestsPerSecond ?? "-"} req/s)`,
      );
      console.log(`ratio (ceiling / Keyway): ${(cost(bare) / cost(measured)).toFixed(2)}`);
    } finally {
      await ceiling.stop();
    }
  } finally {
    await keyway.stop();
    await db.stop();
  }
  if (profileDir) {
    topFunctions(profileDir);
    console.log(`\nProfile: ${profileDir}`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
