// The dashboard's cost to a browser: the gzip size of what the key page loads, the time from
// navigation to the key table with 100 keys rendered (median of 10 loads in headless Chromium),
// and the GraphQL requests that page makes. Writes bench/results/dashboard.{md,json}.
const { spawnSync } = require("node:child_process");
const { writeFileSync, mkdirSync, existsSync } = require("node:fs");
const { gzipSync } = require("node:zlib");
const os = require("node:os");
const path = require("node:path");
const { chromium } = require("playwright-core");
const { ROOT, startDatabase, startKeyway, graphql } = require("./lib/server");

const CHROMIUM = "/usr/bin/chromium";
const LOADS = 10;
const KEYS = 100;
const PASSWORD = "bench-password-1";

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

async function assetSizes(origin) {
  const html = await (await fetch(`${origin}/dashboard/developers/api-keys`)).text();
  const assets = [...html.matchAll(/(?:src|href)="(\/dashboard\/assets\/[^"]+)"/g)].map((match) => match[1]);
  const sizes = { js: { raw: 0, gzip: 0 }, css: { raw: 0, gzip: 0 }, html: { raw: Buffer.byteLength(html), gzip: gzipSync(html).length } };
  for (const asset of assets) {
    const body = Buffer.from(await (await fetch(`${origin}${asset}`)).arrayBuffer());
    const kind = asset.endsWith(".css") ? "css" : "js";
    sizes[kind].raw += body.length;
    sizes[kind].gzip += gzipSync(body, { level: 9 }).length;
  }
  return { assets, sizes };
}

/** What the dashboard adds to `npm start`'s build: codegen + Vite, timed as `npm run build:dashboard` runs them. */
function timeDashboardBuild() {
  const started = process.hrtime.bigint();
  const result = spawnSync("npm", ["run", "--silent", "build:dashboard"], { cwd: ROOT, stdio: "ignore" });
  if (result.status !== 0) throw new Error("npm run build:dashboard failed");
  return Number(process.hrtime.bigint() - started) / 1e6;
}

async function main() {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  const buildMs = timeDashboardBuild();
  const database = await startDatabase();
  const keyway = await startKeyway(database.url);
  const origin = new URL(keyway.url).origin;
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
  try {
    // 100 keys in TEST besides the bootstrap key; the page shows the newest 100.
    for (let i = 0; i < KEYS; i++) {
      await graphql(
        keyway.url,
        keyway.key,
        `
          mutation ($input: CreateSecretAPIKeyInput!) {
            createSecretAPIKey(input: $input) {
              __typename
            }
          }
        `,
        {
          input: { secretKey: { name: `bench-${String(i).padStart(3, "0")}`, description: "benchmark key" } },
        },
      );
    }
    const { assets, sizes } = await assetSizes(origin);

    const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, baseURL: origin });
    const page = await context.newPage();
    await page.goto("/dashboard/sign-in");
    await page.getByLabel("Email").fill("admin@localhost");
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "API keys" }).waitFor();

    const graphqlRequests = [];
    page.on("request", (request) => {
      if (new URL(request.url()).pathname === "/graphql")
        graphqlRequests.push(JSON.parse(request.postData() ?? "{}").query?.match(/^\s*(?:query|mutation)\s+(\w+)/)?.[1] ?? "?");
    });
    const times = [];
    let requestsPerLoad = null;
    for (let i = 0; i < LOADS; i++) {
      graphqlRequests.length = 0;
      // A full navigation each time (a cold page, warm HTTP cache: assets are immutable).
      await page.goto("/dashboard/developers/api-keys?rows=100");
      await page.waitForFunction(
        (count) => globalThis.document.querySelectorAll('[data-testid="api-keys-table"] tbody tr').length === count,
        KEYS,
        { polling: "raf" },
      );
      times.push(await page.evaluate(() => performance.now()));
      requestsPerLoad = [...graphqlRequests];
    }
    // Re-renders that change no query input (a dialog opened and closed) send nothing.
    graphqlRequests.length = 0;
    await page.getByRole("button", { name: "Create API key" }).click();
    await page.getByRole("dialog", { name: "Create API key" }).waitFor();
    await page.keyboard.press("Escape");
    await page.getByRole("dialog", { name: "Create API key" }).waitFor({ state: "detached" });
    await page.waitForTimeout(300);
    const afterRerender = [...graphqlRequests];

    const result = {
      date: new Date().toISOString(),
      node: process.version,
      cpus: os.cpus().length,
      loadAverage: os.loadavg()[0],
      buildMs: Math.round(buildMs),
      assets,
      sizes,
      loadsMs: times.map((t) => Math.round(t)),
      medianMs: Math.round(median(times)),
      requestsPerLoad,
      requestsOnRerender: afterRerender,
    };
    const kb = (bytes) => (bytes / 1024).toFixed(1);
    const table = [
      `# Dashboard benchmark (${result.date})`,
      "",
      `Node ${result.node}, ${result.cpus} CPUs (load average ${result.loadAverage.toFixed(1)} at the end), headless Chromium (Debian), Keyway started as \`npm start\` runs it (NODE_ENV=production) on embedded PostgreSQL.`,
      "",
      "| measure | value |",
      "| --- | ---: |",
      `| dashboard build added to \`npm start\` (codegen + Vite) | ${(result.buildMs / 1000).toFixed(1)} s |`,
      `| initial route JS, gzip (raw) | ${kb(sizes.js.gzip)} KB (${kb(sizes.js.raw)} KB) |`,
      `| initial route CSS, gzip (raw) | ${kb(sizes.css.gzip)} KB (${kb(sizes.css.raw)} KB) |`,
      `| index.html, gzip | ${kb(sizes.html.gzip)} KB |`,
      `| navigation → key table with ${KEYS} keys rendered, median of ${LOADS} loads | ${result.medianMs} ms |`,
      `| the ${LOADS} loads (ms) | ${result.loadsMs.join(", ")} |`,
      `| GraphQL requests per load | ${requestsPerLoad.length} (${requestsPerLoad.join(", ")}) |`,
      `| GraphQL requests on a re-render (dialog opened and closed) | ${afterRerender.length} |`,
      "",
      "One request reads the table (`ApiKeys`); `Viewer` (who is signed in, permissions, plan) is read once per page load",
      "by the shell. Assets carry content hashes and are served `immutable`, so loads after the first read them from cache.",
      "",
    ].join("\n");
    mkdirSync(path.join(__dirname, "results"), { recursive: true });
    writeFileSync(path.join(__dirname, "results", "dashboard.md"), table);
    writeFileSync(path.join(__dirname, "results", "dashboard.json"), JSON.stringify(result, null, 2) + "\n");
    console.log(table);
  } finally {
    await browser.close();
    await keyway.stop();
    await database.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
