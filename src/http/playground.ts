import path from "node:path";
import { Router } from "express";

/**
 * GraphiQL on `GET /graphql` for browsers (Accept: text/html), served from the
 * graphiql, react and react-dom packages this package depends on: nothing is
 * loaded from a CDN, so it works offline. Requests that prefer JSON (curl,
 * clients) fall through to the GraphQL endpoint.
 */

const ASSET_PATH = "/graphql/playground";

function packageFile(packageName: string, file: string): string {
  // Resolved through package.json: graphiql's "exports" map does not list its UMD build.
  return path.join(path.dirname(require.resolve(`${packageName}/package.json`)), file);
}

const ASSETS: Record<string, { file: string; type: string } | { source: string; type: string }> = {
  "react.production.min.js": { file: packageFile("react", "umd/react.production.min.js"), type: "text/javascript" },
  "react-dom.production.min.js": { file: packageFile("react-dom", "umd/react-dom.production.min.js"), type: "text/javascript" },
  "graphiql.min.js": { file: packageFile("graphiql", "graphiql.min.js"), type: "text/javascript" },
  "graphiql.min.css": { file: packageFile("graphiql", "graphiql.min.css"), type: "text/css" },
  "playground.js": { source: playgroundScript(), type: "text/javascript" },
};

/** The placeholder the headers editor starts with; the page drops the header while it is still there. */
export const KEY_PLACEHOLDER = "<your key>";

export const DEFAULT_HEADERS = { Authorization: `Bearer ${KEY_PLACEHOLDER}`, "Keyway-Environment": "TEST" };

/**
 * Example operations, one document: they share the headers editor (GraphiQL's
 * tabs would each keep their own headers, so a pasted key would apply to one tab only).
 */
export const EXAMPLE_OPERATIONS = `# Welcome to Keyway.
#
# 1. In Headers (below), replace <your key> with an API key;
#    the first start printed a TEST ADMIN key.
# 2. Put the cursor in an operation, press Ctrl-Enter
#    (or ▶ and pick the operation).
#
# Docs (top left) lists every type and field.

query ListKeys {
  viewer { environment role organization { id name plan } }
  organizations {
    apiKeys(first: 10) {
      totalCount
      edges { node { id name role status redactedKey lastUsedAt usageCount } }
    }
  }
}

mutation CreateKey {
  createSecretAPIKey(input: { secretKey: { name: "Playground key", role: READONLY } }) {
    __typename
    ... on APIKey { id name role key }
    ... on UserError { errors { code errorPath description } }
    ... on AccessDeniedError { message }
  }
}

mutation AddWebhookTarget {
  addWebhookNotificationTarget(
    input: { name: "My backend", uri: "https://example.com/webhooks/keyway", subscriptions: [API_KEY_CREATED, API_KEY_REVOKED] }
  ) {
    __typename
    ... on WebhookNotificationTarget { id name uri status signingKeys { id secret } }
    ... on UserError { errors { code errorPath description } }
    ... on AccessDeniedError { message }
  }
}

mutation SimulateAuthorization {
  simulateCollaborativeAuthorization(input: { amount: 1250, currencyCode: "USD", merchantName: "Corner Coffee" }) {
    __typename
    ... on CollaborativeAuthorizationRequest { id responseCode authorizedAmount decidedBy standInReason latencyMs }
    ... on UserError { errors { code errorPath description } }
    ... on AccessDeniedError { message }
  }
}
`;

/** Runs in the browser: mounts GraphiQL with the settings embedded in the page. */
function playgroundScript(): string {
  return `"use strict";
(function () {
  var settings = JSON.parse(document.getElementById("keyway-playground-settings").textContent);
  var base = GraphiQL.createFetcher({ url: settings.endpoint, enableIncrementalDelivery: false });
  // While the headers editor still holds the placeholder, send no Authorization header:
  // the schema loads (introspection needs no key) and queries get a clear "Authentication required".
  function fetcher(params, options) {
    var headers = Object.assign({}, options && options.headers);
    Object.keys(headers).forEach(function (name) {
      if (String(headers[name]).indexOf(settings.keyPlaceholder) !== -1) delete headers[name];
    });
    return base(params, Object.assign({}, options, { headers: headers }));
  }
  ReactDOM.createRoot(document.getElementById("graphiql")).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: settings.defaultQuery,
      defaultHeaders: settings.defaultHeaders,
      defaultEditorToolsVisibility: "headers",
      isHeadersEditorEnabled: true,
      // Keys stay out of localStorage.
      shouldPersistHeaders: false,
    }),
  );
})();
`;
}

function page(endpoint: string): string {
  const settings = {
    endpoint,
    keyPlaceholder: KEY_PLACEHOLDER,
    defaultQuery: EXAMPLE_OPERATIONS,
    defaultHeaders: JSON.stringify(DEFAULT_HEADERS, null, 2),
  };
  // "<" escaped so the JSON cannot close the script element.
  const json = JSON.stringify(settings).replace(/</g, "\\u003c");
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Keyway playground</title>
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="${ASSET_PATH}/graphiql.min.css">
  <style>html, body, #graphiql { height: 100%; margin: 0; }</style>
</head>
<body>
  <div id="graphiql">Loading the playground…</div>
  <script id="keyway-playground-settings" type="application/json">${json}</script>
  <script src="${ASSET_PATH}/react.production.min.js"></script>
  <script src="${ASSET_PATH}/react-dom.production.min.js"></script>
  <script src="${ASSET_PATH}/graphiql.min.js"></script>
  <script src="${ASSET_PATH}/playground.js"></script>
</body>
</html>
`;
}

/** Same-origin only: the page cannot load or send anything elsewhere. */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "font-src 'self' data:",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

export function playgroundRouter(): Router {
  const router = Router();
  router.get("/graphql", (req, res, next) => {
    // A browser navigation prefers HTML; curl (*/*) and GraphQL clients prefer JSON and reach Apollo.
    if (req.accepts(["application/json", "application/graphql-response+json", "text/html"]) !== "text/html") return next();
    res
      .status(200)
      .set({
        "content-type": "text/html; charset=utf-8",
        "content-security-policy": CONTENT_SECURITY_POLICY,
        "cache-control": "no-cache",
        "x-content-type-options": "nosniff",
      })
      .send(page(req.baseUrl + req.path));
  });
  router.get(`${ASSET_PATH}/:name`, (req, res, next) => {
    const asset = Object.hasOwn(ASSETS, req.params.name) ? ASSETS[req.params.name] : undefined;
    if (!asset) return next();
    res.set({ "content-type": `${asset.type}; charset=utf-8`, "x-content-type-options": "nosniff" });
    if ("source" in asset) res.set("cache-control", "no-cache").send(asset.source);
    else res.sendFile(asset.file, { maxAge: "1d" });
  });
  return router;
}
