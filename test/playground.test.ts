import { mkdirSync } from "node:fs";
import path from "node:path";
import { Browser, Page } from "playwright-core";
import { ARTIFACTS, launchBrowser } from "./helpers/dashboard";
import { startTestServer, TestServer } from "./helpers/server";

const QUERY = `{
  viewer { environment }
  organizations {
    apiKeys(first: 5) { totalCount edges { node { name redactedKey } } }
  }
}`;

let server: TestServer;
let browser: Browser;

beforeAll(async () => {
  server = await startTestServer();
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

/** Replaces the text of a GraphiQL editor the way a user does: click, select all, type. */
async function replaceEditorText(page: Page, editor: string, text: string): Promise<void> {
  await page.locator(`${editor} .CodeMirror`).first().click();
  await page.keyboard.press("Control+A");
  await page.keyboard.insertText(text);
}

/** The whole text of a GraphiQL editor (CodeMirror renders only the visible lines). Runs in the page. */
function editorText(page: Page, selector: string): Promise<string> {
  return page.evaluate((s) => (globalThis as any).document.querySelector(`${s} .CodeMirror`).CodeMirror.getValue(), selector);
}

/** Waits until the result pane shows `text`. */
async function waitForResult(page: Page, text: string): Promise<void> {
  await page.waitForFunction((t) => (globalThis as any).document.querySelector(".graphiql-response")?.textContent?.includes(t), text);
}

/**
 * Clicks ▶ once GraphiQL has parsed the new text: while it still sees several
 * operations (the examples) the button opens an operation menu instead of running.
 */
async function runQuery(page: Page): Promise<void> {
  await page.locator("button.graphiql-execute-button:not([aria-haspopup])").click();
}

describe("the playground in a browser", () => {
  it("runs a query with a key pasted into the headers editor, loading nothing from elsewhere", async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const origin = new URL(server.url).origin;
    const foreign: string[] = [];
    const pageErrors: string[] = [];
    page.on("request", (request) => {
      if (!request.url().startsWith(origin) && !request.url().startsWith("data:")) foreign.push(request.url());
    });
    page.on("pageerror", (error) => pageErrors.push(error.message));

    const response = await page.goto(server.url);
    expect(response?.status()).toBe(200);
    expect(response?.headers()["content-type"]).toMatch(/^text\/html/);

    // The headers editor starts with the placeholder and the TEST environment; the examples are there.
    const headersEditor = ".graphiql-editor-tool .graphiql-editor:not(.hidden)";
    await page.locator(`${headersEditor} .CodeMirror`).first().waitFor();
    const initialHeaders = await editorText(page, headersEditor);
    expect(JSON.parse(initialHeaders)).toEqual({ Authorization: "Bearer <your key>", "Keyway-Environment": "TEST" });
    const initialQuery = await editorText(page, ".graphiql-query-editor");
    for (const operation of ["query ListKeys", "mutation CreateKey", "mutation AddWebhookTarget", "mutation SimulateAuthorization"]) {
      expect(initialQuery).toContain(operation);
    }

    await replaceEditorText(page, ".graphiql-query-editor", QUERY);
    await replaceEditorText(
      page,
      headersEditor,
      JSON.stringify({ Authorization: `Bearer ${server.adminKey}`, "Keyway-Environment": "TEST" }, null, 2),
    );
    await runQuery(page);

    await waitForResult(page, "redactedKey");
    const shown = await editorText(page, ".graphiql-response");
    const bootstrapKey = await server.admin.request<any>(`{ organizations { apiKeys(first: 5) { edges { node { name redactedKey } } } } }`);
    expect(JSON.parse(shown)).toEqual({
      data: {
        viewer: { environment: "TEST" },
        organizations: [{ apiKeys: { totalCount: 1, edges: bootstrapKey.organizations[0].apiKeys.edges } }],
      },
    });
    // What the user sees, not only the editor's model.
    const visible = await page.locator(".graphiql-response").innerText();
    expect(visible).toContain(bootstrapKey.organizations[0].apiKeys.edges[0].node.redactedKey);
    expect(visible).toContain('"environment": "TEST"');

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, "playground.png") });
    expect(foreign).toEqual([]);
    expect(pageErrors).toEqual([]);
    await page.close();
  });

  it("loads the schema while the placeholder is still in the headers, and asks for a key on a query", async () => {
    const page = await browser.newPage();
    await page.goto(server.url);
    await page.locator(".graphiql-query-editor .CodeMirror").waitFor();
    await replaceEditorText(page, ".graphiql-query-editor", "{ viewer { environment } }");
    await runQuery(page);
    await waitForResult(page, "UNAUTHENTICATED");
    const shown = await editorText(page, ".graphiql-response");
    expect(JSON.parse(shown).errors[0].message).toBe("Authentication required: send an API key or a session token");

    // The documentation explorer has the schema: the introspection went through without a key.
    await page.locator('button[aria-label="Show Documentation Explorer"]').click();
    await page.locator(".graphiql-doc-explorer").getByText("Query", { exact: true }).first().waitFor();
    await page.close();
  });
});

describe("GET /graphql without a browser", () => {
  it("is the GraphQL endpoint for clients that prefer JSON", async () => {
    const response = await fetch(`${server.url}?query=${encodeURIComponent("{ ping }")}`, {
      headers: { accept: "application/json", "apollo-require-preflight": "true" },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { ping: "pong" } });
  });

  it("serves the page with a same-origin-only content security policy", async () => {
    const response = await fetch(server.url, { headers: { accept: "text/html" } });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-security-policy")).toContain("connect-src 'self'");
    const html = await response.text();
    const references = [...html.matchAll(/(?:src|href)="([^"]*)"/g)].map((match) => match[1]);
    expect(references.length).toBeGreaterThan(4);
    for (const reference of references) expect(reference).toMatch(/^(\/graphql\/playground\/|data:)/);
    const asset = await fetch(new URL("/graphql/playground/graphiql.min.js", server.url));
    expect(asset.status).toBe(200);
    expect(asset.headers.get("content-type")).toMatch(/^text\/javascript/);
  });

  it("is off with KEYWAY_PLAYGROUND=false", async () => {
    const off = await startTestServer({ KEYWAY_PLAYGROUND: "false" });
    try {
      const page = await fetch(off.url, { headers: { accept: "text/html" } });
      expect(page.headers.get("content-type")).not.toMatch(/text\/html/);
      const asset = await fetch(new URL("/graphql/playground/graphiql.min.js", off.url));
      expect(asset.status).not.toBe(200);
    } finally {
      await off.stop();
    }
  });
});
