import { UserErrorCode } from "../schema/errors.js";

/**
 * Errors services throw when a rule refuses a change. One function
 * (`toErrorPayload` in src/schema/payload.ts) turns them into payload members.
 */
export class DomainError extends Error {
  constructor(
    readonly code: UserErrorCode,
    message: string,
    /** Path of the input field at fault, without the leading "input". */
    readonly path: string[] = [],
  ) {
    super(message);
  }
}

export class InvalidInput extends DomainError {
  constructor(message: string, path: string[]) {
    super(UserErrorCode.INVALID_INPUT, message, path);
  }
}

export class NotFound extends DomainError {
  constructor(what: string, path: string[] = []) {
    super(UserErrorCode.NOT_FOUND, `${what} not found`, path);
  }
}

export class AlreadyExists extends DomainError {
  constructor(message: string, path: string[] = []) {
    super(UserErrorCode.ALREADY_EXISTS, message, path);
  }
}

export class InvalidState extends DomainError {
  constructor(message: string, path: string[] = []) {
    super(UserErrorCode.INVALID_STATE, message, path);
  }
}

export class LimitExceeded extends DomainError {
  constructor(message: string, path: string[] = []) {
    super(UserErrorCode.LIMIT_EXCEEDED, message, path);
  }
}

export class UpgradeRequired extends DomainError {
  constructor() {
    super(UserErrorCode.UPGRADE_REQUIRED, "Upgrade required");
  }
}

export class LastAdmin extends DomainError {
  constructor(path: string[] = []) {
    super(UserErrorCode.LAST_ADMIN, "The last ADMIN of an environment cannot be removed or downgraded", path);
  }
}

export class UnsafeUrl extends DomainError {
  constructor(message: string, path: string[] = ["uri"]) {
    super(UserErrorCode.UNSAFE_URL, message, path);
  }
}

export class InvalidCredentials extends DomainError {
  constructor() {
    super(UserErrorCode.INVALID_CREDENTIALS, "Invalid email or password");
  }
}

/** The password was right, but the account has two-factor sign-in on and the login gave no code. */
export class TwoFactorRequired extends DomainError {
  constructor() {
    super(
      UserErrorCode.TWO_FACTOR_REQUIRED,
      "This account needs a two-factor code: give input.code (an authenticator code or a recovery code)",
      ["code"],
    );
  }
}

/** A two-factor code that is wrong, used already, or outside the accepted time steps. Same code as a wrong password. */
export class InvalidTwoFactorCode extends DomainError {
  constructor() {
    super(UserErrorCode.INVALID_CREDENTIALS, "Invalid two-factor code", ["code"]);
  }
}

export class RateLimited extends DomainError {
  constructor(readonly retryAfterSeconds: number) {
    super(UserErrorCode.RATE_LIMITED, `Too many failed attempts; try again in ${retryAfterSeconds} s`);
  }
}

export class NotAvailableInLive extends DomainError {
  constructor(what: string) {
    super(UserErrorCode.NOT_AVAILABLE_IN_LIVE, `${what} is only available in TEST`);
  }
}

/** The actor would grant more than it holds (privilege escalation). Maps to AccessDeniedError. */
export class AccessDenied extends Error {}
