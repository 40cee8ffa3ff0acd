import bcrypt from "bcrypt";
import { PASSWORD_MAX_BYTES, PASSWORD_MIN_BYTES } from "../limits.js";
import { InvalidInput } from "./domain-errors.js";

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
