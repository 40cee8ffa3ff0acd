// Collaborative authorization: simulated authorizations per second against a local
// endpoint that answers at once, and the latency Keyway adds on top of the endpoint's
// own time (targets: p99 overhead < 5 ms, >= 1,000 simulated authorizations/s with 16 clients, RSS <= 100 MB). Run after `npm run build`:
//   node bench/collab.js
// Writes bench/results/collab.json and bench/results/collab.md. Bounded to ~1 minute.
const { mkdirSync, writeFileSync } = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const autocannon = require("autocannon");
const { ROOT, startDatabase, startKeyway, sequentialClient, residentMb, cpuSeconds } = require("./lib/server.js");
const { SIMULATE, SIMULATE_INPUT, startEndpoint, activateEndpoint, simulateOnce } = require("./lib/collab-endpoint.js");

/** Warm-up as the key benchmarks do it (JIT, caches, pools, compiled queries): seconds of load, then sequential calls. */
const WARMUP_SECONDS = 2;
const WARMUP = 100;
const SEQUENTIAL = 1000;
const THROUGHPUT_SECONDS = 8;
const CONCURRENCY = 16;
const TARGET_P99_OVERHEAD_MS = 5;
const TARGET_PER_SECOND = 1000;
const HARD_LIMIT_MS = 110_000;

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const round = (n) => Math.round(n * 100) / 100;

async function main() {
  const cleanups = [];
  const cleanup = async () => {
    for (const stop of cleanups.reverse()) await stop().catch(() => {});
  };
  const guard = setTimeout(() => {
    console.error(`collab bench: gave up after ${HARD_LIMIT_MS / 1000} s`);
    cleanup().finally(() => process.exit(1));
  }, HARD_LIMIT_MS);

  try {
    const db = await startDatabase();
    cleanups.push(() => db.stop());
    // NODE_ENV=production refuses private URLs unless allowed: the endpoint is on loopback.
    const keyway = await startKeyway(db.url, { KEYWAY_ALLOW_PRIVATE_URLS: "test" });
    cleanups.push(() => keyway.stop());
    const endpoint = await startEndpoint();
    cleanups.push(() => endpoint.stop());

    await activateEndpoint(keyway, endpoint.url);

    /** CONCURRENCY connections for `seconds`; every answer must be a decision by the endpoint. Resolves with their number. */
    const load = async (seconds) => {
      let completed = 0;
      let wrong = 0;
      const result = await autocannon({
        url: keyway.url,
        connections: CONCURRENCY,
        pipelining: 1,
        duration: seconds,
        requests: [
          {
            method: "POST",
            headers: { "content-type": "application/json", authorization: `Bearer ${keyway.key}` },
            body: JSON.stringify({ query: SIMULATE, variables: SIMULATE_INPUT }),
            onResponse: (status, body) => {
              if (status === 200 && body.includes('"decidedBy":"ENDPOINT"')) completed++;
              else wrong++;
            },
          },
        ],
      });
      if (wrong > 0 || result.errors > 0 || result.non2xx > 0) {
        throw new Error(`load: ${wrong} answers not decided by the endpoint, ${result.errors} errors, ${result.non2xx} non-2xx`);
      }
      return completed;
    };

    const client = sequentialClient(keyway.url, keyway.key);
    cleanups.push(async () => client.close());
    await load(WARMUP_SECONDS);
    for (let i = 0; i < WARMUP; i++) await simulateOnce(client);

    // One at a time, over one kept-alive connection: the client's round trip minus the endpoint's own time is what
    // Keyway adds.
    const overheads = [];
    const latencies = [];
    for (let i = 0; i < SEQUENTIAL; i++) {
      const { id, elapsed } = await simulateOnce(client);
      latencies.push(elapsed);
      overheads.push(elapsed - (endpoint.ownTimeMs.get(id) ?? 0));
    }
    // The same number of the cheapest authenticated request, for scale: what any request costs here.
    const baseline = [];
    for (let i = 0; i < SEQUENTIAL; i++) {
      const started = performance.now();
      await client.request("{ viewer { environment } }");
      baseline.push(performance.now() - started);
    }
    baseline.sort((a, b) => a - b);
    overheads.sort((a, b) => a - b);
    latencies.sort((a, b) => a - b);
    const ownTimes = [...endpoint.ownTimeMs.values()].sort((a, b) => a - b);

    // Throughput: CONCURRENCY connections for THROUGHPUT_SECONDS, from autocannon as in the key benchmarks (a
    // load generator that costs the shared CPUs little).
    const started = performance.now();
    const cpuBefore = cpuSeconds(keyway.process.pid);
    const completed = await load(THROUGHPUT_SECONDS);
    const seconds = (performance.now() - started) / 1000;
    const cpuMicroseconds = Math.round(((cpuSeconds(keyway.process.pid) - cpuBefore) * 1e6) / completed);
    const rssMb = Math.round(residentMb(keyway.process.pid)?.peak ?? NaN);

    const result = {
      benchmark: "collab",
      date: new Date().toISOString(),
      machine: { cpus: os.cpus().length, node: process.version },
      throughput: {
        concurrency: CONCURRENCY,
        seconds: round(seconds),
        requests: completed,
        perSecond: round(completed / seconds),
        cpuMicroseconds,
      },
      overheadMs: {
        requests: SEQUENTIAL,
        p50: round(percentile(overheads, 50)),
        p95: round(percentile(overheads, 95)),
        p99: round(percentile(overheads, 99)),
        max: round(overheads[overheads.length - 1]),
      },
      clientLatencyMs: { p50: round(percentile(latencies, 50)), p99: round(percentile(latencies, 99)) },
      baselineQueryMs: { query: "{ viewer { environment } }", p50: round(percentile(baseline, 50)), p99: round(percentile(baseline, 99)) },
      loadAverage: os.loadavg().map(round),
      endpointOwnTimeMs: { p50: round(percentile(ownTimes, 50)), p99: round(percentile(ownTimes, 99)) },
      rssMb,
      target: { p99OverheadMs: TARGET_P99_OVERHEAD_MS, perSecond: TARGET_PER_SECOND },
      pass: percentile(overheads, 99) < TARGET_P99_OVERHEAD_MS && completed / seconds >= TARGET_PER_SECOND,
    };

    const md = [
      "# Collaborative authorization",
      "",
      `${result.date}, ${result.machine.cpus} CPUs (load average ${result.loadAverage.join(", ")}), Node ${result.machine.node}. Keyway in its own process on embedded PostgreSQL;`,
      "the decision endpoint (127.0.0.1) approves at once. Each authorization is one `simulateCollaborativeAuthorization`",
      "mutation: the active endpoint and its keys from the process's memory, sign, POST, parse, then one statement with the request row,",
      "audit row and outbox event.",
      "",
      "| measure | value |",
      "| --- | --- |",
      `| simulated authorizations / s (${CONCURRENCY} connections, autocannon, ${result.throughput.seconds} s) | ${result.throughput.perSecond} |`,
      `| Keyway's CPU per simulated authorization under that load (µs, user + system) | ${cpuMicroseconds} |`,
      `| overhead p50 / p95 / p99 / max (ms, ${SEQUENTIAL} sequential) | ${result.overheadMs.p50} / ${result.overheadMs.p95} / ${result.overheadMs.p99} / ${result.overheadMs.max} |`,
      `| client latency p50 / p99 (ms) | ${result.clientLatencyMs.p50} / ${result.clientLatencyMs.p99} |`,
      `| baseline: \`{ viewer { environment } }\` p50 / p99 (ms) | ${result.baselineQueryMs.p50} / ${result.baselineQueryMs.p99} |`,
      `| endpoint's own time p50 / p99 (ms) | ${result.endpointOwnTimeMs.p50} / ${result.endpointOwnTimeMs.p99} |`,
      `| Keyway's peak RSS (MB) | ${rssMb} |`,
      `| target: p99 overhead < ${TARGET_P99_OVERHEAD_MS} ms | ${result.overheadMs.p99 < TARGET_P99_OVERHEAD_MS ? "met" : "NOT met"} |`,
      `| target: >= ${TARGET_PER_SECOND} simulated/s | ${result.throughput.perSecond >= TARGET_PER_SECOND ? "met" : "NOT met"} |`,
      "",
      "Overhead = the client's round trip minus the time the endpoint held the request. Measured after a warm-up, as the key",
      `benchmarks do: ${WARMUP_SECONDS} s of the same load, then ${WARMUP} sequential calls.`,
      "",
    ].join("\n");

    const dir = path.join(ROOT, "bench", "results");
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, "collab.json"), JSON.stringify(result, null, 2) + "\n");
    writeFileSync(path.join(dir, "collab.md"), md);
    process.stdout.write(md);
    // A missed target is a result, not a failure of the run: the runner reads `pass`.
    return 0;
  } finally {
    clearTimeout(guard);
    await cleanup();
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
