import { createHash } from "node:crypto";

/**
 * SHA-256 of a text's UTF-8 bytes. For values that carry enough random bits of their own (API keys,
 * invitation tokens, recovery codes): stored by hash, found by hash in one indexed lookup.
 */
export function sha256(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}
