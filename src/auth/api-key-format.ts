import { randomInt } from "node:crypto";
import { crc32 } from "node:zlib";
import { Environment } from "../entities/enums.js";

/**
 * `<prefix>_<env>_<30 random base62><6-char base62 CRC-32 of the random part>`.
 * The checksum lets a typo be refused without a database lookup and lets secret
 * scanners validate a leaked key offline.
 */
const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const RANDOM_LENGTH = 30;
const CHECKSUM_LENGTH = 6;

function base62(value: number, width: number): string {
  let out = "";
  let rest = value;
  while (rest > 0) {
    out = BASE62[rest % 62] + out;
    rest = Math.floor(rest / 62);
  }
  return out.padStart(width, "0");
}

export function checksum(random: string): string {
  return base62(crc32(Buffer.from(random, "ascii")), CHECKSUM_LENGTH);
}

export function generateApiKey(prefix: string, environment: Environment): string {
  let random = "";
  for (let i = 0; i < RANDOM_LENGTH; i++) random += BASE62[randomInt(62)];
  return `${prefix}_${environment.toLowerCase()}_${random}${checksum(random)}`;
}

const KEY_PATTERN = /^([a-z][a-z0-9]{0,9})_(test|live)_([0-9A-Za-z]{30})([0-9A-Za-z]{6})$/;

/** True when the string has the key shape, whatever its checksum. */
export function looksLikeApiKey(value: string): boolean {
  return KEY_PATTERN.test(value);
}

/** The key's environment when its prefix and checksum are right, otherwise null. */
export function parseApiKey(value: string, expectedPrefix: string): { environment: Environment } | null {
  const match = KEY_PATTERN.exec(value);
  if (!match || match[1] !== expectedPrefix || checksum(match[3]) !== match[4]) return null;
  return { environment: match[2] === "live" ? Environment.LIVE : Environment.TEST };
}

export const KEY_PREFIX_DISPLAY_LENGTH = 12;

/** The NOTIFY channel a changed key's id is sent on, so every process drops it from its cache. */
export const API_KEY_CHANGED_CHANNEL = "keyway_api_key_changed";
