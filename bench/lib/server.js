// Starts Keyway as a separate process (as `npm start` would) on its own embedded
// PostgreSQL, so load generated in the bench process does not share its event loop.
const { spawn } = require("node:child_process");
const { mkdtempSync, chmodSync } = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const ROOT = path.join(__dirname, "..", "..");
/** The node flags of `npm start`, so the benchmark measures what users run (BENCH_NODE_FLAGS replaces them, to try others). */
const START_FLAGS =
  process.env.BENCH_NODE_FLAGS !== undefined
    ? process.env.BENCH_NODE_FLAGS.split(" ").filter(Boolean)
    : require(path.join(ROOT, "package.json"))
        .scripts.start.split(" ")
        .filter((word) => word.startsWith("--"));

async function startDatabase() {
  const { startEmbeddedPostgres } = require(path.join(ROOT, "dist/src/db/embedded-postgres.js"));
  const parent = mkdtempSync(path.join(os.tmpdir(), "keyway-bench-"));
  chmodSync(parent, 0o755);
  return startEmbeddedPostgres({ dataDir: path.join(parent, "pg"), persistent: false, fast: true });
}

/**
 * [command, args] running node with `args`, pinned with taskset to `cpu` when one is given:
 * the key benchmarks put each server on one core and the load generator on the other.
 * `wrapper` runs node under another program (bench/instructions.js: valgrind).
 */
function nodeCommand(args, cpu = null, wrapper = []) {
  const command = [...(cpu === null ? [] : ["taskset", "-c", String(cpu)]), ...wrapper, process.execPath, ...args];
  return [command[0], command.slice(1)];
}

/** Whether servers can be pinned to core 0 and the load to core 1 (BENCH_PIN=0 turns it off). */
function canPin() {
  if (process.env.BENCH_PIN === "0" || os.cpus().length < 2) return false;
  try {
    return require("node:child_process").spawnSync("taskset", ["-p", String(process.pid)]).status === 0;
  } catch {
    return false;
  }
}

/** Resident set size of a process in MB, now and at its peak (Linux /proc), or null. */
function residentMb(pid) {
  try {
    const status = require("node:fs").readFileSync(`/proc/${pid}/status`, "utf8");
    const read = (name) => Number((new RegExp(`${name}:\\s+(\\d+) kB`).exec(status) || [])[1] ?? NaN) / 1024;
    return { now: read("VmRSS"), peak: read("VmHWM") };
  } catch {
    return null;
  }
}

/** CPU seconds (user + system) a process has used so far (Linux /proc), or NaN. */
function cpuSeconds(pid) {
  try {
    const fields = require("node:fs").readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100; // clock ticks of 10 ms
  } catch {
    return NaN;
  }
}

/** Spawns Keyway as `npm start` runs it (same node flags); resolves once it listens, with the bootstrap key. */
function startKeyway(databaseUrl, env = {}, { cpu = null, wrapper = [] } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(
      ...nodeCommand(
        [
          ...(process.env.KEYWAY_PROFILE_DIR ? ["--cpu-prof", `--cpu-prof-dir=${process.env.KEYWAY_PROFILE_DIR}`] : []),
          ...START_FLAGS,
          path.join(ROOT, "dist/src/main.js"),
          "serve",
        ],
        cpu,
        wrapper,
      ),
      {
        env: {
          ...process.env,
          NODE_ENV: "production",
          LOG_LEVEL: "warn",
          DATABASE_URL: databaseUrl,
          PORT: "0",
          HOST: "127.0.0.1",
          KEYWAY_ADMIN_PASSWORD: "bench-password-1",
          KEYWAY_PLAYGROUND: "false",
          ...env,
        },
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    let output = "";
    let key = null;
    child.stdout.on("data", (chunk) => {
      output += chunk;
      key = key ?? (/TEST API key:\s+(\S+)/.exec(output) || [])[1] ?? null;
      const listening = /listening on (http:\/\/\S+)/.exec(output);
      if (listening) {
        child.stdout.removeAllListeners("data");
        child.stdout.resume();
        resolve({
          url: listening[1],
          key,
          process: child,
          stop: () =>
            new Promise((done) => {
              child.once("exit", done);
              child.kill("SIGTERM");
            }),
        });
      }
    });
    child.once("exit", (code) => reject(new Error(`keyway exited with ${code} before listening:\n${output}`)));
  });
}

/** Starts a bench script (a baseline or peer server) that prints "listening on <url>". */
function startScript(script, env, cpu = null, wrapper = []) {
  return new Promise((resolve, reject) => {
    const child = spawn(...nodeCommand([path.join(__dirname, "..", script)], cpu, wrapper), {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let output = "";
    child.stdout.on("data", (chunk) => {
      output += chunk;
      const match = /listening on (\S+)/.exec(output);
      if (match) {
        child.stdout.removeAllListeners("data");
        child.stdout.resume();
        resolve({
          url: match[1],
          process: child,
          stop: () =>
            new Promise((done) => {
              child.once("exit", done);
              child.kill("SIGTERM");
            }),
        });
      }
    });
    child.once("exit", (code) => reject(new Error(`${script} exited with ${code}`)));
  });
}

/** POST a GraphQL operation; throws on errors. */
async function graphql(url, key, query, variables) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

/**
 * A GraphQL client on node:http over one kept-alive connection, for latency measured one request at a time: fetch
 * (undici) costs the measuring process about twice Keyway's own time per request and adds its own collections to the
 * tail, which is not what Keyway adds. Resolves with `data`; throws on GraphQL errors like `graphql`.
 */
function sequentialClient(url, key) {
  const http = require("node:http");
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const request = (query, variables) =>
    new Promise((resolve, reject) => {
      const body = JSON.stringify({ query, variables });
      const headers = { "content-type": "application/json", authorization: `Bearer ${key}`, "content-length": Buffer.byteLength(body) };
      const req = http.request(url, { method: "POST", agent, headers }, (response) => {
        let text = "";
        response.setEncoding("utf8");
        response.on("data", (chunk) => (text += chunk));
        response.on("end", () => {
          try {
            const parsed = JSON.parse(text);
            if (parsed.errors) reject(new Error(JSON.stringify(parsed.errors)));
            else resolve(parsed.data);
          } catch (error) {
            reject(error);
          }
        });
      });
      req.on("error", reject);
      req.end(body);
    });
  return { request, close: () => agent.destroy() };
}

/**
 * Adds `count` READONLY keys to the TEST slice of the organization of the first key (the bootstrap key's, in a fresh
 * Keyway), one second apart, for a list to page through; resolves with that organization's id.
 */
async function seedListKeys(databaseUrl, count = 10_000) {
  const { Client } = require("pg");
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query("SELECT organization_id FROM api_keys LIMIT 1");
    await client.query(
      `INSERT INTO api_keys (organization_id, environment, name, role, key_hash, prefix, last4, created_at, created_by_type)
       SELECT $1::uuid, 'TEST', 'seeded key ' || i, 'READONLY', sha256(('p:' || i)::bytea), 'kw_test_seed', '0000',
              now() - i * interval '1 second', 'SYSTEM' FROM generate_series(1, $2::int) AS i`,
      [rows[0].organization_id, count],
    );
    await client.query("ANALYZE api_keys");
    return rows[0].organization_id;
  } finally {
    await client.end();
  }
}

module.exports = { ROOT, startDatabase, seedListKeys, startKeyway, startScript, graphql, sequentialClient, canPin, residentMb, cpuSeconds };
