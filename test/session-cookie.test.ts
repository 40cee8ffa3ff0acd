import { SignJWT } from "jose";
import { ADMIN_EMAIL, ADMIN_PASSWORD, startTestServer, TestServer } from "./helpers/server";
import { INVITE } from "./helpers/users";

// The dashboard's session cookie, over HTTP as a browser sends it.

let server: TestServer;
let origin: string;

beforeAll(async () => {
  // Trusting the loopback proxy lets a test say "this came over https" with X-Forwarded-Proto.
  server = await startTestServer({ KEYWAY_SESSION_IDLE_SECONDS: "1", KEYWAY_TRUST_PROXY: "loopback" });
  origin = new URL(server.url).origin;
});
afterAll(async () => {
  await server?.stop();
});

interface Answer {
  status: number;
  body: any;
  setCookies: string[];
}

async function send(query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(`${origin}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: await response.json(), setCookies: response.headers.getSetCookie() };
}

const LOGIN = `mutation($input: LoginInput!) { login(input: $input) { __typename
  ... on Session { token expiresAt idleTimeoutSeconds user { email } }
  ... on UserError { errors { code errorPath } } } }`;
const SIGN_UP = `mutation($input: SignUpInput!) { signUp(input: $input) { __typename ... on Session { token user { email } } } }`;
const ACCEPT = `mutation($input: AcceptInvitationInput!) { acceptInvitation(input: $input) { __typename ... on Session { token user { email } } } }`;
const VIEWER = `{ viewer { role actor { __typename ... on User { email } ... on APIKey { name } } } }`;
const LOGOUT = `mutation { logout }`;

/** Signs in with useCookie and returns the cookie as a browser would send it back. */
async function cookieLogin(headers: Record<string, string> = {}): Promise<{ answer: Answer; cookie: string }> {
  const answer = await send(LOGIN, { input: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD, useCookie: true } }, headers);
  expect(answer.body.data.login.__typename).toBe("Session");
  expect(answer.setCookies).toHaveLength(1);
  return { answer, cookie: answer.setCookies[0].split(";")[0] };
}

function attributes(setCookie: string): Record<string, string | true> {
  const [, ...parts] = setCookie.split(";").map((part) => part.trim());
  return Object.fromEntries(
    parts.map((part) => (part.includes("=") ? [part.split("=")[0].toLowerCase(), part.split("=")[1]] : [part.toLowerCase(), true])),
  );
}

function expectCleared(answer: Answer): void {
  expect(answer.setCookies).toHaveLength(1);
  expect(answer.setCookies[0]).toMatch(/^keyway_session=;/);
  expect(attributes(answer.setCookies[0])).toMatchObject({ "max-age": "0", path: "/graphql", httponly: true, samesite: "Strict" });
}

describe("signing in with useCookie", () => {
  it("answers without the token and sets it in an HttpOnly, SameSite=Strict cookie for /graphql", async () => {
    const { answer, cookie } = await cookieLogin();
    const session = answer.body.data.login;
    expect(session.token).toBeNull();
    expect(session.user.email).toBe(ADMIN_EMAIL);
    expect(cookie).toMatch(/^keyway_session=[\w-]+\.[\w-]+\.[\w-]+$/);
    const attrs = attributes(answer.setCookies[0]);
    expect(attrs).toMatchObject({ path: "/graphql", httponly: true, samesite: "Strict" });
    // Plain http: no Secure, or the browser would drop it.
    expect(attrs.secure).toBeUndefined();
    const maxAge = Number(attrs["max-age"]);
    expect(Math.abs(maxAge - (Date.parse(session.expiresAt) - Date.now()) / 1000)).toBeLessThan(5);
  });

  it("marks the cookie Secure when a trusted proxy says the request came over https", async () => {
    const { answer } = await cookieLogin({ "x-forwarded-proto": "https" });
    expect(attributes(answer.setCookies[0]).secure).toBe(true);
  });

  it("still answers with the token and sets no cookie without useCookie", async () => {
    const answer = await send(LOGIN, { input: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD } });
    expect(answer.body.data.login.token).toMatch(/^ey/);
    expect(answer.setCookies).toEqual([]);
  });

  it("sets no cookie when the sign-in is refused", async () => {
    const answer = await send(LOGIN, { input: { email: ADMIN_EMAIL, password: "not-the-password", useCookie: true } });
    expect(answer.body.data.login).toMatchObject({ __typename: "UserError", errors: [{ code: "INVALID_CREDENTIALS" }] });
    expect(answer.setCookies).toEqual([]);
  });

  it("refuses a useCookie that is not a boolean with BAD_USER_INPUT", async () => {
    const answer = await send(LOGIN, { input: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD, useCookie: "yes" } });
    expect(answer.status).toBe(400);
    expect(answer.body.errors[0].extensions.code).toBe("BAD_USER_INPUT");
    expect(answer.setCookies).toEqual([]);
  });

  it("works for signUp and acceptInvitation too", async () => {
    const signedUp = await send(SIGN_UP, {
      input: { organizationName: "Cookie Co", email: "founder@cookie.test", password: "founder-password", useCookie: true },
    });
    expect(signedUp.body.data.signUp).toMatchObject({ __typename: "Session", token: null, user: { email: "founder@cookie.test" } });
    const founder = signedUp.setCookies[0].split(";")[0];
    expect((await send(VIEWER, {}, { cookie: founder })).body.data.viewer.actor.email).toBe("founder@cookie.test");

    const invited = await server.admin.request<any>(INVITE, { input: { email: "support@cookie.test", role: "SUPPORT" } });
    const accepted = await send(ACCEPT, {
      input: { token: invited.inviteUser.token, password: "support-password", name: "Support", useCookie: true },
    });
    expect(accepted.body.data.acceptInvitation).toMatchObject({ __typename: "Session", token: null });
    const member = accepted.setCookies[0].split(";")[0];
    expect((await send(VIEWER, {}, { cookie: member })).body.data.viewer).toMatchObject({
      role: "SUPPORT",
      actor: { email: "support@cookie.test" },
    });
  });
});

describe("the session cookie on /graphql", () => {
  it("is accepted as the user's session", async () => {
    const { cookie } = await cookieLogin();
    const answer = await send(VIEWER, {}, { cookie: `theme=dark; ${cookie}` });
    expect(answer.status).toBe(200);
    expect(answer.body.data.viewer).toMatchObject({ role: "ADMIN", actor: { __typename: "User", email: ADMIN_EMAIL } });
    expect(answer.setCookies).toEqual([]);
  });

  it("loses to an Authorization header", async () => {
    const { cookie } = await cookieLogin();
    const answer = await send(VIEWER, {}, { cookie, authorization: `Bearer ${await server.issueKey("READONLY" as any)}` });
    expect(answer.body.data.viewer).toMatchObject({ role: "READONLY", actor: { __typename: "APIKey" } });
  });

  it("is cleared by logout and refused afterwards, with the refusal clearing it again", async () => {
    const { cookie } = await cookieLogin();
    const loggedOut = await send(LOGOUT, {}, { cookie });
    expect(loggedOut.body.data.logout).toBe(true);
    expectCleared(loggedOut);
    const after = await send(VIEWER, {}, { cookie });
    expect(after.status).toBe(401);
    expect(after.body.errors[0].extensions).toMatchObject({ code: "UNAUTHENTICATED", reason: "SESSION_REVOKED" });
    expectCleared(after);
  });

  it("ends after the idle timeout: 401 SESSION_EXPIRED and the cookie cleared", async () => {
    const { cookie } = await cookieLogin();
    expect((await send(VIEWER, {}, { cookie })).status).toBe(200);
    // The idle timeout is 1 s (config); nothing observable happens when it passes, so wait it out.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const expired = await send(VIEWER, {}, { cookie });
    expect(expired.status).toBe(401);
    expect(expired.body.errors[0].extensions).toMatchObject({ code: "UNAUTHENTICATED", reason: "SESSION_EXPIRED" });
    expectCleared(expired);
  });

  it("is never accepted as an API key or a shared-secret JWT", async () => {
    const key = await server.issueKey("ADMIN" as any);
    const asKey = await send(VIEWER, {}, { cookie: `keyway_session=${key}` });
    expect(asKey.status).toBe(401);
    expect(asKey.body.data).toBeFalsy();
    expectCleared(asKey);
    // The same key works where keys belong.
    expect((await send(VIEWER, {}, { authorization: `Bearer ${key}` })).status).toBe(200);

    const secret = await server.admin.request<any>(
      "{ organizations { sharedSecret { secret } } apiKeys: organizations { apiKeys(first: 1) { edges { node { id } } } } }",
    );
    const keyId = secret.apiKeys[0].apiKeys.edges[0].node.id;
    const now = Math.floor(Date.now() / 1000);
    const jwt = await new SignJWT({})
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(keyId)
      .setIssuedAt(now)
      .setExpirationTime(now + 300)
      .sign(new TextEncoder().encode(secret.organizations[0].sharedSecret.secret));
    expect((await send(VIEWER, {}, { authorization: `Bearer ${jwt}` })).status).toBe(200);
    const asJwt = await send(VIEWER, {}, { cookie: `keyway_session=${jwt}` });
    expect(asJwt.status).toBe(401);
    expectCleared(asJwt);
  });

  it("cannot be used by a cross-site form: Apollo's CSRF prevention refuses non-JSON posts and plain GETs", async () => {
    const { cookie } = await cookieLogin();
    const mutation = `mutation { createSecretAPIKey(input: { secretKey: { name: "csrf-made" } }) { __typename } }`;
    for (const contentType of ["application/x-www-form-urlencoded", "text/plain", "multipart/form-data; boundary=x"]) {
      const response = await fetch(`${origin}/graphql`, {
        method: "POST",
        headers: { "content-type": contentType, cookie },
        body: contentType.startsWith("application/x-www") ? `query=${encodeURIComponent(mutation)}` : JSON.stringify({ query: mutation }),
      });
      expect(response.status).toBe(400);
      expect(await response.text()).not.toContain("csrf-made");
    }
    const get = await fetch(`${origin}/graphql?query=${encodeURIComponent(VIEWER)}`, { headers: { cookie, accept: "application/json" } });
    expect(get.status).toBe(400);
    expect(await get.text()).toMatch(/Cross-Site Request Forgery/i);
    // Nothing was created.
    const keys = await server.admin.request<any>(
      `{ organizations { apiKeys(first: 100, filterBy: { search: "csrf-made" }) { totalCount } } }`,
    );
    expect(keys.organizations[0].apiKeys.totalCount).toBe(0);
  });
});
