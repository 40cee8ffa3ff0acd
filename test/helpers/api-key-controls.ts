import type { TestServer } from "./server";
import { bearer } from "./server";

/** What these tests read of a key: the §12 controls and the usual identity fields. */
export const KEY_FIELDS = `id name role permissions allowedIps rateLimit { limit windowSeconds } metadata usageCount`;

export const PAYLOAD = `__typename ... on APIKey { ${KEY_FIELDS} key }
  ... on UserError { errors { code errorPath description } }
  ... on AccessDeniedError { message }`;

export const CREATE = `mutation($input: CreateSecretAPIKeyInput!) { createSecretAPIKey(input: $input) { ${PAYLOAD} } }`;
export const UPDATE = `mutation($input: UpdateAPIKeyInput!) { updateAPIKey(input: $input) { ${PAYLOAD} } }`;

/** createSecretAPIKey as `credential`, returning the payload member whatever it is. */
export async function createKey(server: TestServer, credential: string, secretKey: Record<string, unknown>): Promise<any> {
  const result = await server.post(CREATE, { input: { secretKey } }, bearer(credential));
  if (result.status !== 200 || result.body.errors)
    throw new Error(`createSecretAPIKey: HTTP ${result.status} ${JSON.stringify(result.body)}`);
  return result.body.data.createSecretAPIKey;
}

/** A RESTRICTED key holding `permissions`, created by the bootstrap ADMIN key. */
export async function restrictedKey(
  server: TestServer,
  permissions: string[],
  extra: Record<string, unknown> = {},
): Promise<{ id: string; key: string }> {
  const created = await createKey(server, server.adminKey, {
    name: `restricted ${Math.random().toString(36).slice(2, 10)}`,
    role: "RESTRICTED",
    permissions,
    ...extra,
  });
  if (created.__typename !== "APIKey") throw new Error(JSON.stringify(created));
  return created;
}

export async function updateKey(server: TestServer, credential: string, input: Record<string, unknown>): Promise<any> {
  const result = await server.post(UPDATE, { input }, bearer(credential));
  if (result.status !== 200 || result.body.errors) throw new Error(`updateAPIKey: HTTP ${result.status} ${JSON.stringify(result.body)}`);
  return result.body.data.updateAPIKey;
}

/** `{ viewer { role } }` with the key, as a client would send it. */
export function callWith(server: TestServer, key: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  return server.post("{ viewer { role permissions } }", {}, { ...bearer(key), ...headers });
}

/** A window size whose current (epoch-aligned) window has at least a minute left, so a test stays inside one window. */
export function windowSecondsWithTimeLeft(): number {
  const now = Date.now() / 1000;
  return [86_400, 86_399].find((seconds) => seconds - (now % seconds) > 60)!;
}
