import { existsSync, readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { TLSSocket } from "node:tls";
import path from "node:path";
import express, { Router } from "express";
import type { CookieWriter } from "../auth/session-cookie.js";
import type { Config } from "../config.js";
import { proxyTrust } from "./graphql-endpoint.js";

/**
 * The web dashboard: the single-page app that `npm run build`
 * writes to dist/dashboard, served at /dashboard and every path below it.
 * Assets have content-hashed names and are cached for a year; every other
 * path gets index.html, with the branding settings embedded, so the app's
 * router decides what it shows.
 */

export const DASHBOARD_PATH = "/dashboard";

/** The package root, from src/http (jest) or dist/src/http (node). */
function packageRoot(): string {
  let dir = __dirname;
  while (!existsSync(path.join(dir, "package.json")) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}

export const DASHBOARD_BUILD_DIR = path.join(packageRoot(), "dist", "dashboard");

/**
 * Same origin only, no inline scripts. Styles allow 'unsafe-inline' because the
 * component library (Mantine) writes its CSS variables and some component styles
 * as inline style attributes and a <style> element; scripts never run inline.
 */
export const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'self'",
].join("; ");

/** What the page needs to know before its first request (no secrets: anyone may read it). */
export interface DashboardSettings {
  title: string;
  accent: string;
  signupEnabled: boolean;
  graphqlPath: string;
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** index.html with the settings as a JSON data block (not a script that runs) and the title set. */
function renderIndex(template: string, settings: DashboardSettings): string {
  const json = JSON.stringify(settings).replace(/</g, "\\u003c");
  return template
    .replace(/<title>[^<]*<\/title>/, `<title>${escapeHtml(settings.title)}</title>`)
    .replace("</head>", `  <script id="keyway-dashboard-settings" type="application/json">${json}</script>\n  </head>`);
}

export function dashboardRouter(config: Pick<Config, "dashboard" | "signupEnabled">, buildDir = DASHBOARD_BUILD_DIR): Router {
  const router = Router();
  const settings: DashboardSettings = {
    title: config.dashboard.title,
    accent: config.dashboard.accent,
    signupEnabled: config.signupEnabled,
    graphqlPath: "/graphql",
  };
  const indexFile = path.join(buildDir, "index.html");
  // Read once; a missing build is reported on the page, not by failing the server.
  const index = existsSync(indexFile) ? renderIndex(readFileSync(indexFile, "utf8"), settings) : null;

  router.get("/", (req, res, next) => {
    if (req.accepts(["application/json", "text/html"]) !== "text/html") return next();
    res.redirect(302, `${DASHBOARD_PATH}/`);
  });
  router.use(
    `${DASHBOARD_PATH}/assets`,
    express.static(path.join(buildDir, "assets"), {
      immutable: true,
      maxAge: "365d",
      index: false,
      setHeaders: (res) => res.setHeader("x-content-type-options", "nosniff"),
    }),
    (_req: express.Request, res: express.Response) => {
      res.status(404).type("text/plain").send("Not found");
    },
  );
  router.get([DASHBOARD_PATH, `${DASHBOARD_PATH}/*rest`], (_req, res) => {
    res.set({
      "content-security-policy": DASHBOARD_CSP,
      "cache-control": "no-cache",
      "x-content-type-options": "nosniff",
      "referrer-policy": "same-origin",
    });
    if (index === null) {
      res.status(503).type("text/plain").send("The dashboard has not been built: run `npm run build` (npm start does it).");
      return;
    }
    res.status(200).type("html").send(index);
  });
  return router;
}

/**
 * How /graphql writes the session cookie: Secure when the request came over
 * https, directly or (with KEYWAY_TRUST_PROXY) through a trusted proxy that
 * says so in X-Forwarded-Proto.
 */
export function sessionCookieWriter(trust: Config["trustProxy"]): (req: IncomingMessage, res: ServerResponse) => CookieWriter {
  const trusted = proxyTrust(trust);
  return (req, res) => new ResponseCookies(req, res, trusted);
}

/** A response's cookie writer. `secure` is worked out when a cookie is written, which most requests (API keys) never do. */
class ResponseCookies implements CookieWriter {
  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly trusted: (address: string, hop: number) => boolean,
  ) {}

  get secure(): boolean {
    const { req } = this;
    const forwarded = String(req.headers["x-forwarded-proto"] ?? "")
      .split(",")[0]
      .trim()
      .toLowerCase();
    return (req.socket as TLSSocket).encrypted === true || (forwarded === "https" && this.trusted(req.socket.remoteAddress ?? "", 0));
  }

  appendSetCookie(cookie: string): void {
    this.res.appendHeader("set-cookie", cookie);
  }
}
