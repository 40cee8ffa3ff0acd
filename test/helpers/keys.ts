import { randomBytes } from "node:crypto";
import type { GraphQLClient } from "graphql-request";
import { SignJWT } from "jose";

/** Every field of APIKey a client may select (the plaintext `key` is only set in the create/rotate payloads). */
export const API_KEY_FIELDS = `id name description environment role status key prefix redactedKey createdAt updatedAt expiresAt
  lastUsedAt usageCount deactivatedAt revokedAt createdBy { __typename ... on APIKey { id } ... on User { id } }
  rotatedFrom { id } rotatedTo { id }`;

export const API_KEY_PAYLOAD = `__typename ... on APIKey { ${API_KEY_FIELDS} } ... on UserError { errors { code errorPath description } }
  ... on AccessDeniedError { message }`;

export const CREATE_KEY = `mutation($input: CreateSecretAPIKeyInput!) { createSecretAPIKey(input: $input) { ${API_KEY_PAYLOAD} } }`;

/**
 * createSecretAPIKey through the API as `client`; returns the payload, whichever member it is (an APIKey with
 * its `key`, a UserError, an AccessDeniedError). `secretKey` overrides the input; the name is unique unless given.
 */
export async function createKey(client: GraphQLClient, secretKey: Record<string, unknown> = {}): Promise<any> {
  const input = { secretKey: { name: `key ${randomBytes(4).toString("hex")}`, ...secretKey } };
  return (await client.request<any>(CREATE_KEY, { input })).createSecretAPIKey;
}

/**
 * An HS256 JWT an integration signs with the organization's shared secret, acting as the API key `keyId`
 * (`sub`): issued `issuedAgo` seconds ago, valid for `lifetimeSeconds`.
 */
export function sharedSecretJwt(secret: string, keyId: string, lifetimeSeconds = 300, issuedAgo = 0): Promise<string> {
  const now = Math.floor(Date.now() / 1000) - issuedAgo;
  return new SignJWT({})
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(keyId)
    .setIssuedAt(now)
    .setExpirationTime(now + lifetimeSeconds)
    .sign(new TextEncoder().encode(secret));
}
