// Instructions per request, counted rather than timed: `node bench/instructions.js [viewer|list|collab]`.
// Keyway and the scenario's ceiling (Apollo's `{ hello }` for the viewer, node:http + pg for the list) each run
// under valgrind's callgrind with counting off; WARM requests sent one at a time let V8 compile what it will,
// then counting is switched on for MEASURE requests. An instruction count does not move with the machine's
// load, so two builds (or a build and its ceiling) compare to a fraction of a percent where requests/s differ
// by ±30 % round to round. It counts every thread of the server (the garbage collector's and compiler's too)
// and not the time spent waiting; valgrind runs the server 20-50 times slower, so timers (the job queue's
// polling) weigh more here than under load. With CALLGRIND_KEEP=1 the profile stays for callgrind_annotate.
// `collab` counts Keyway alone per simulated authorization (bench/collab.js's mutation and endpoint; the endpoint
// runs in this process, uncounted): it has no ceiling to divide by, and compares one build with another.
const { execFileSync } = require("node:child_process");
const { mkdtempSync, readdirSync, readFileSync, rmSync } = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { startDatabase, startKeyway, startScript, seedListKeys, sequentialClient } = require("./lib/server");
const { startEndpoint, activateEndpoint, simulateOnce } = require("./lib/collab-endpoint.js");

/** The HOST startKeyway gives Keyway; callgrind_control finds a process by its HOST variable. */
const KEYWAY_HOST = "127.0.0.1";

const SCENARIO = process.argv[2] ?? "viewer";
const WARM = Number(process.env.WARM ?? 10_000);
const MEASURE = Number(process.env.MEASURE ?? 2_000);
const LIST_QUERY = `{ organizations { apiKeys(first: 20) { edges { node {
  id name description environment role status prefix createdAt lastUsedAt usageCount } } pageInfo { hasNextPage endCursor } } } }`;
/** valgrind's command line before node's: callgrind, counting off until callgrind_control turns it on, quiet. */
function callgrind(outDir) {
  return [
    "valgrind",
    "-q",
    "--tool=callgrind",
    "--instr-atstart=no",
    "--smc-check=all-non-file",
    `--callgrind-out-file=${path.join(outDir, "callgrind.%p")}`,
  ];
}

/** Sends callgrind_control `flag`; `host` is the server's HOST variable when it has one of its own. */
function control(pid, flag, host) {
  execFileSync("callgrind_control", [flag, String(pid)], { env: { ...process.env, ...(host ? { HOST: host } : {}) }, stdio: "ignore" });
}

/**
 * Instructions per request of one server: `start(wrapper)` it under callgrind, `prepare(server)` (seeding), warm up,
 * count MEASURE sequential requests, stop. `query` is a query text, or a function sending one request on the client.
 */
async function count(name, start, query, host, prepare = async () => {}) {
  const outDir = mkdtempSync(path.join(os.tmpdir(), `keyway-callgrind-${name}-`));
  const server = await start(callgrind(outDir));
  await prepare(server);
  const client = sequentialClient(server.url, server.key);
  const send = typeof query === "function" ? () => query(client) : () => client.request(query);
  try {
    for (let i = 0; i < WARM; i++) await send();
    control(server.process.pid, "--instr=on", host);
    for (let i = 0; i < MEASURE; i++) await send();
    control(server.process.pid, "--instr=off", host);
    control(server.process.pid, "--dump", host);
  } finally {
    client.close();
    await server.stop();
  }
  let total = 0;
  for (const file of readdirSync(outDir)) {
    const totals = /^totals:\s+(\d+)/m.exec(readFileSync(path.join(outDir, file), "utf8"));
    if (totals) total = Math.max(total, Number(totals[1]));
  }
  if (process.env.CALLGRIND_KEEP === "1") console.log(`  ${name}: profile in ${outDir}`);
  else rmSync(outDir, { recursive: true, force: true });
  return total / MEASURE;
}

/** Keyway's instructions per simulated authorization, against an endpoint on loopback that approves at once. */
async function countCollab(db) {
  const endpoint = await startEndpoint();
  try {
    const keyway = await count(
      "keyway",
      (wrapper) => startKeyway(db.url, { KEYWAY_ALLOW_PRIVATE_URLS: "test" }, { wrapper }),
      simulateOnce,
      KEYWAY_HOST,
      (server) => activateEndpoint(server, endpoint.url),
    );
    console.log(`Keyway collab: ${Math.round(keyway).toLocaleString("en-US")} instructions per simulated authorization`);
    console.log(`(${WARM} to warm up, ${MEASURE} counted, one at a time; the endpoint and the client are not counted)`);
  } finally {
    await endpoint.stop();
  }
}

async function main() {
  const db = await startDatabase();
  try {
    if (SCENARIO === "collab") return await countCollab(db);
    let organizationId = null;
    // As bench/profile.js: 10,000 more keys in the bootstrap key's organization, so a list page has 20 rows.
    const keyway = await count(
      "keyway",
      (wrapper) => startKeyway(db.url, {}, { wrapper }),
      SCENARIO === "viewer" ? "{ viewer { environment } }" : LIST_QUERY,
      KEYWAY_HOST,
      async () => {
        organizationId = await seedListKeys(db.url);
      },
    );
    const ceiling =
      SCENARIO === "viewer"
        ? await count("apollo", (wrapper) => startScript("baselines/apollo-hello.js", {}, null, wrapper), "{ hello }", null)
        : await count(
            "pg-list",
            (wrapper) => startScript("baselines/pg-list.js", { DATABASE_URL: db.url, ORGANIZATION_ID: organizationId }, null, wrapper),
            LIST_QUERY,
            null,
          );
    const label = SCENARIO === "viewer" ? "Apollo { hello }" : "node:http + pg";
    console.log(`Keyway ${SCENARIO}: ${Math.round(keyway).toLocaleString("en-US")} instructions per request`);
    console.log(`${label}: ${Math.round(ceiling).toLocaleString("en-US")} instructions per request`);
    console.log(
      `ratio (ceiling / Keyway): ${(ceiling / keyway).toFixed(2)}  (${WARM} requests to warm up, ${MEASURE} counted, one at a time)`,
    );
  } finally {
    await db.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
