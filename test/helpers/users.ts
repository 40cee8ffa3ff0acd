import { randomBytes } from "node:crypto";
import { APIKeyRole, Environment, UserRole } from "../../src/entities/enums";
import { ADMIN_EMAIL, ADMIN_PASSWORD, TestServer } from "./server";

export const SESSION_FIELDS = `... on Session { token expiresAt idleTimeoutSeconds user { id email name lastLoginAt } }
  ... on UserError { errors { code errorPath description } }`;

export const LOGIN = `mutation($input: LoginInput!) { login(input: $input) { __typename ${SESSION_FIELDS} } }`;

export const INVITE = `mutation($input: InviteUserInput!) { inviteUser(input: $input) { __typename
  ... on UserInvitation { id email role environment token expiresAt createdAt acceptedAt }
  ... on UserError { errors { code errorPath description } }
  ... on AccessDeniedError { message } } }`;

export const ACCEPT = `mutation($input: AcceptInvitationInput!) { acceptInvitation(input: $input) { __typename ${SESSION_FIELDS} } }`;

export interface TestUser {
  email: string;
  password: string;
  userId: string;
  token: string;
}

/** Logs in over HTTP; fails the test when the login is refused. */
export async function login(server: TestServer, email: string, password: string, headers: Record<string, string> = {}): Promise<string> {
  const result = await server.post(LOGIN, { input: { email, password } }, headers);
  if (result.body.data?.login?.__typename !== "Session") throw new Error(`login failed: ${JSON.stringify(result.body)}`);
  return result.body.data.login.token;
}

export function loginAdmin(server: TestServer): Promise<string> {
  return login(server, ADMIN_EMAIL, ADMIN_PASSWORD);
}

/** A user with `role` in `environment`, invited by an ADMIN key of that environment and accepted through the API. */
export async function createUser(server: TestServer, role: UserRole, environment = Environment.TEST): Promise<TestUser> {
  const inviter = environment === Environment.TEST ? server.admin : server.client(await server.issueKey(APIKeyRole.ADMIN, environment));
  const email = `${role.toLowerCase()}-${randomBytes(4).toString("hex")}@example.test`;
  const password = `pw-${randomBytes(8).toString("hex")}`;
  const invited = await inviter.request<any>(INVITE, { input: { email, role } });
  if (invited.inviteUser.__typename !== "UserInvitation") throw new Error(JSON.stringify(invited));
  const accepted = await server.post(ACCEPT, { input: { token: invited.inviteUser.token, password, name: `${role} user` } });
  const session = accepted.body.data?.acceptInvitation;
  if (session?.__typename !== "Session") throw new Error(JSON.stringify(accepted.body));
  return { email, password, userId: session.user.id, token: session.token };
}

export function bearerHeaders(token: string, environment?: Environment): Record<string, string> {
  return { authorization: `Bearer ${token}`, ...(environment ? { "keyway-environment": environment } : {}) };
}

/** server.post with an untyped body: these tests read deep into varying payloads. */
export async function post(
  server: TestServer,
  query: string,
  variables?: Record<string, unknown>,
  headers?: Record<string, string>,
): Promise<{ status: number; headers: Headers; body: any }> {
  return server.post(query, variables, headers);
}
