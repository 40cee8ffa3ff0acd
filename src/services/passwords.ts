import bcrypt from "bcrypt";
import { InvalidInput } from "./domain-errors.js";

export const PASSWORD_MIN_BYTES = 10;
/** bcrypt ignores everything past 72 bytes, so longer passwords are refused rather than silently cut. */
export const PASSWORD_MAX_BYTES = 72;

export function assertPasswordStrength(password: string, field: string): void {
  const bytes = Buffer.byteLength(password, "utf8");
  if (bytes < PASSWORD_MIN_BYTES || bytes > PASSWORD_MAX_BYTES) {
    throw new InvalidInput(`Password must be ${PASSWORD_MIN_BYTES}–${PASSWORD_MAX_BYTES} bytes`, field);
  }
}

export class PasswordHasher {
  constructor(private readonly cost: number) {}

  hash(password: string): Promise<string> {
    return bcrypt.hash(password, this.cost);
  }

  verify(password: string, hash: string): Promise<boolean> {
    return bcrypt.compare(password, hash);
  }
}
