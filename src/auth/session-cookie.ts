import type { IncomingHttpHeaders } from "node:http";

/**
 * The dashboard's session cookie: the session JWT in an HttpOnly,
 * SameSite=Strict cookie, so the token never reaches JavaScript. Sent only to
 * /graphql, the one path that reads it.
 */
export const SESSION_COOKIE = "keyway_session";
const COOKIE_PATH = "/graphql";

/** Where a resolver asks for the cookie to be set or cleared; the HTTP layer writes it. */
export interface SessionCookieControl {
  set(token: string, expiresAt: Date): void;
  clear(): void;
}

/** What the HTTP layer hands to authentication: whether the request came over https, and how to add a header. */
export interface CookieWriter {
  secure: boolean;
  appendSetCookie(cookie: string): void;
}

/** The session cookie's value, or null when the request has none. */
export function sessionCookieFrom(headers: IncomingHttpHeaders): string | null {
  const header = headers.cookie;
  if (!header) return null;
  for (const part of header.split(";")) {
    const index = part.indexOf("=");
    if (index < 0 || part.slice(0, index).trim() !== SESSION_COOKIE) continue;
    const value = part.slice(index + 1).trim();
    return value === "" ? null : value;
  }
  return null;
}

function attributes(secure: boolean): string {
  return `Path=${COOKIE_PATH}; HttpOnly; SameSite=Strict${secure ? "; Secure" : ""}`;
}

export function sessionCookie(token: string, expiresAt: Date, secure: boolean): string {
  const maxAge = Math.max(0, Math.floor((expiresAt.getTime() - Date.now()) / 1000));
  return `${SESSION_COOKIE}=${token}; Max-Age=${maxAge}; ${attributes(secure)}`;
}

export function clearedSessionCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; Max-Age=0; ${attributes(secure)}`;
}

export function sessionCookieControl(writer: CookieWriter): SessionCookieControl {
  return {
    set: (token, expiresAt) => writer.appendSetCookie(sessionCookie(token, expiresAt, writer.secure)),
    clear: () => writer.appendSetCookie(clearedSessionCookie(writer.secure)),
  };
}

/** For contexts built without an HTTP response (nothing to write to). */
export const NO_COOKIES: SessionCookieControl = { set: () => {}, clear: () => {} };
