// Instructions per request, counted rather than timed: `node bench/instructions.js [viewer|list]`.
// Keyway and the scenario's ceiling (Apollo's `{ hello }` for the viewer, node:http + pg for the list) each run
// under valgrind's callgrind with counting off; WARM requests sent one at a time let V8 compile what it will,
// then counting is switched on for MEASURE requests. An instruction count does not move with the machine's
// load, so two builds (or a build and its ceiling) compare to a fraction of a percent where requests/s differ
// by ±30 % round to round. It counts every thread of the server (the garbage collector's and compiler's too)
// and not the time spent waiting; valgrind runs the server 20-50 times slower, so timers (the job queue's
// polling) weigh more here than under load. With CALLGRIND_KEEP=1 the profile stays for callgrind_annotate.
const { spawn, execFileSync } = require("node:child_process");
const { mkdtempSync, readdirSync, readFileSync, rmSync } = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { ROOT, startDatabase, seedListKeys, sequentialClient } = require("./lib/server");

const SCENARIO = process.argv[2] ?? "viewer";
const WARM = Number(process.env.WARM ?? 10_000);
const MEASURE = Number(process.env.MEASURE ?? 2_000);
const LIST_QUERY = `{ organizations { apiKeys(first: 20) { edges { node {
  id name description environment role status prefix createdAt lastUsedAt usageCount } } pageInfo { hasNextPage endCursor } } } }`;
const START_FLAGS = require(path.join(ROOT, "package.json"))
  .scripts.start.split(" ")
  .filter((word) => word.startsWith("--"));

/** Starts `args` under callgrind with counting off; resolves once it prints "listening on <url>". */
function underCallgrind(args, env, outDir) {
  return new Promise((resolve, reject) => {
    const child = spawn(
      "valgrind",
      [
        "--tool=callgrind",
        "--instr-atstart=no",
        "--smc-check=all-non-file",
        `--callgrind-out-file=${path.join(outDir, "callgrind.%p")}`,
        process.execPath,
        ...args,
      ],
      { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] },
    );
    let output = "";
    let errors = "";
    child.stderr.on("data", (chunk) => (errors += chunk));
    child.stdout.on("data", (chunk) => {
      output += chunk;
      const listening = /listening on (http:\/\/\S+)/.exec(output);
      if (listening) {
        child.stdout.removeAllListeners("data");
        child.stdout.resume();
        resolve({ url: listening[1], key: (/TEST API key:\s+(\S+)/.exec(output) || [])[1] ?? null, child });
      }
    });
    child.once("exit", (code) => reject(new Error(`exited with ${code} before listening:\n${output}\n${errors.slice(-2000)}`)));
  });
}

/** callgrind_control finds the process by its HOST variable, which Keyway's environment sets too. */
function control(pid, flag, host) {
  execFileSync("callgrind_control", [flag, String(pid)], { env: { ...process.env, ...(host ? { HOST: host } : {}) }, stdio: "ignore" });
}

/**
 * Instructions per request of one server: start it, `prepare(server)` (seeding), warm up, count MEASURE
 * sequential requests, stop.
 */
async function count(name, args, env, query, host, prepare = async () => {}) {
  const outDir = mkdtempSync(path.join(os.tmpdir(), `keyway-callgrind-${name}-`));
  const server = await underCallgrind(args, env, outDir);
  await prepare(server);
  const client = sequentialClient(server.url, server.key);
  try {
    for (let i = 0; i < WARM; i++) await client.request(query);
    control(server.child.pid, "--instr=on", host);
    for (let i = 0; i < MEASURE; i++) await client.request(query);
    control(server.child.pid, "--instr=off", host);
    control(server.child.pid, "--dump", host);
  } finally {
    client.close();
    server.child.kill("SIGTERM");
    await new Promise((resolve) => server.child.once("exit", resolve));
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

async function main() {
  const db = await startDatabase();
  const keywayEnv = {
    NODE_ENV: "production",
    LOG_LEVEL: "warn",
    DATABASE_URL: db.url,
    PORT: "0",
    HOST: "127.0.0.1",
    KEYWAY_ADMIN_PASSWORD: "bench-password-1",
    KEYWAY_PLAYGROUND: "false",
  };
  try {
    let organizationId = null;
    // As bench/profile.js: 10,000 more keys in the bootstrap key's organization, so a list page has 20 rows.
    const keyway = await count(
      "keyway",
      [...START_FLAGS, path.join(ROOT, "dist/src/main.js"), "serve"],
      keywayEnv,
      SCENARIO === "viewer" ? "{ viewer { environment } }" : LIST_QUERY,
      "127.0.0.1",
      async () => {
        organizationId = await seedListKeys(db.url);
      },
    );
    const ceiling =
      SCENARIO === "viewer"
        ? await count("apollo", [path.join(__dirname, "baselines/apollo-hello.js")], {}, "{ hello }", null)
        : await count(
            "pg-list",
            [path.join(__dirname, "baselines/pg-list.js")],
            { DATABASE_URL: db.url, ORGANIZATION_ID: organizationId },
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
