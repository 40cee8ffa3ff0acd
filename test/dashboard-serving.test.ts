import { ConfigError, loadConfig } from "../src/config";
import { DASHBOARD_CSP } from "../src/http/dashboard";
import { startTestServer, TestServer } from "./helpers/server";

// GET /dashboard and below: the built single-page app, same-origin only, branded by config.

let server: TestServer;
let origin: string;

beforeAll(async () => {
  server = await startTestServer({ KEYWAY_DASHBOARD_TITLE: "Acme <Developers>", KEYWAY_DASHBOARD_ACCENT: "#0a7" });
  origin = new URL(server.url).origin;
});
afterAll(async () => {
  await server?.stop();
});

function settingsOf(html: string): Record<string, unknown> {
  const match = /<script id="keyway-dashboard-settings" type="application\/json">([^<]*)<\/script>/.exec(html);
  if (!match) throw new Error("no settings in the page");
  return JSON.parse(match[1]);
}

describe("serving the dashboard", () => {
  it("answers /dashboard and any path below it with the app's index.html, a same-origin CSP and no caching", async () => {
    for (const path of [
      "/dashboard",
      "/dashboard/",
      "/dashboard/developers/api-keys",
      "/dashboard/developers/webhooks/nt_123",
      "/dashboard/no/such/page",
    ]) {
      const response = await fetch(`${origin}${path}`, { headers: { accept: "text/html" } });
      expect([path, response.status]).toEqual([path, 200]);
      expect(response.headers.get("content-type")).toMatch(/^text\/html/);
      expect(response.headers.get("content-security-policy")).toBe(DASHBOARD_CSP);
      expect(response.headers.get("cache-control")).toBe("no-cache");
      const html = await response.text();
      expect(html).toMatch(/<script type="module" crossorigin src="\/dashboard\/assets\/index-[\w-]+\.js"><\/script>/);
    }
    expect(DASHBOARD_CSP).toContain("default-src 'self'");
    expect(DASHBOARD_CSP).toContain("script-src 'self';");
    expect(DASHBOARD_CSP).not.toMatch(/script-src[^;]*unsafe-inline/);
  });

  it("embeds the branding settings as data, escaped, and sets the title", async () => {
    const html = await (await fetch(`${origin}/dashboard`)).text();
    expect(settingsOf(html)).toEqual({ title: "Acme <Developers>", accent: "#00aa77", signupEnabled: true, graphqlPath: "/graphql" });
    expect(html).toContain("<title>Acme &lt;Developers&gt;</title>");
    expect(html).not.toContain("<Developers>");
  });

  it("serves assets with their hashed names for a year, and 404 for an unknown asset", async () => {
    const html = await (await fetch(`${origin}/dashboard`)).text();
    const assets = [...html.matchAll(/(?:src|href)="(\/dashboard\/assets\/[^"]+)"/g)].map((match) => match[1]);
    expect(assets.some((asset) => asset.endsWith(".js"))).toBe(true);
    expect(assets.some((asset) => asset.endsWith(".css"))).toBe(true);
    for (const asset of assets) {
      const response = await fetch(`${origin}${asset}`);
      expect(response.status).toBe(200);
      expect(response.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
      expect(response.headers.get("content-type")).toMatch(asset.endsWith(".js") ? /javascript/ : /text\/css/);
    }
    const missing = await fetch(`${origin}/dashboard/assets/index-nothere.js`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get("content-type")).toMatch(/^text\/plain/);
  });

  it("redirects a browser from / to /dashboard, and leaves / alone for other clients", async () => {
    const browser = await fetch(`${origin}/`, { headers: { accept: "text/html,application/xhtml+xml" }, redirect: "manual" });
    expect(browser.status).toBe(302);
    expect(browser.headers.get("location")).toBe("/dashboard/");
    const client = await fetch(`${origin}/`, { headers: { accept: "application/json" }, redirect: "manual" });
    expect(client.status).toBe(404);
  });

  it("is off with KEYWAY_DASHBOARD=false", async () => {
    const off = await startTestServer({ KEYWAY_DASHBOARD: "false" });
    try {
      const offOrigin = new URL(off.url).origin;
      expect((await fetch(`${offOrigin}/dashboard`)).status).toBe(404);
      expect((await fetch(`${offOrigin}/`, { headers: { accept: "text/html" }, redirect: "manual" })).status).toBe(404);
    } finally {
      await off.stop();
    }
  });
});

describe("dashboard settings", () => {
  it("default to on (also in production), titled Keyway, with an accent that passes contrast", () => {
    expect(loadConfig({}).dashboard).toEqual({ enabled: true, title: "Keyway", accent: "#1971c2" });
    expect(loadConfig({ NODE_ENV: "production" }).dashboard.enabled).toBe(true);
  });

  it("refuse an accent that is not a hex colour and a title that is too long", () => {
    for (const accent of ["blue", "#12345", "#1971c2; background: url(x)", "rgb(1,2,3)", "</style>"]) {
      expect(() => loadConfig({ KEYWAY_DASHBOARD_ACCENT: accent })).toThrow(ConfigError);
    }
    expect(loadConfig({ KEYWAY_DASHBOARD_ACCENT: "#ABCDEF" }).dashboard.accent).toBe("#abcdef");
    expect(() => loadConfig({ KEYWAY_DASHBOARD_TITLE: "x".repeat(61) })).toThrow(ConfigError);
    expect(() => loadConfig({ KEYWAY_DASHBOARD: "maybe" })).toThrow(ConfigError);
  });
});
