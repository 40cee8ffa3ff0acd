/** Why a rule refused a change. The GraphQL schema publishes these as UserErrorCode (src/schema/errors.ts). */
export enum DomainErrorCode {
  INVALID_INPUT = "INVALID_INPUT",
  NOT_FOUND = "NOT_FOUND",
  ALREADY_EXISTS = "ALREADY_EXISTS",
  INVALID_STATE = "INVALID_STATE",
  LIMIT_EXCEEDED = "LIMIT_EXCEEDED",
  UPGRADE_REQUIRED = "UPGRADE_REQUIRED",
  LAST_ADMIN = "LAST_ADMIN",
  UNSAFE_URL = "UNSAFE_URL",
  INVALID_CREDENTIALS = "INVALID_CREDENTIALS",
  RATE_LIMITED = "RATE_LIMITED",
  NOT_AVAILABLE_IN_LIVE = "NOT_AVAILABLE_IN_LIVE",
  TWO_FACTOR_REQUIRED = "TWO_FACTOR_REQUIRED",
}

/**
 * Errors services throw when a rule refuses a change. They name the field at fault in the
 * service's own terms ("name", "rateLimit.limit", "targetIds.2"); the one mapper on the GraphQL
 * side (`toErrorPayload` in src/schema/payload.ts) finds that field in the mutation's input.
 */
export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    /** The field at fault, dot-separated for a nested field or a list item; null when no field is. */
    readonly field: string | null = null,
  ) {
    super(message);
  }
}

export class InvalidInput extends DomainError {
  constructor(message: string, field: string) {
    super(DomainErrorCode.INVALID_INPUT, message, field);
  }
}

export class NotFound extends DomainError {
  constructor(what: string, field: string | null = null) {
    super(DomainErrorCode.NOT_FOUND, `${what} not found`, field);
  }
}

export class AlreadyExists extends DomainError {
  constructor(message: string, field: string | null = null) {
    super(DomainErrorCode.ALREADY_EXISTS, message, field);
  }
}

export class InvalidState extends DomainError {
  constructor(message: string, field: string | null = null) {
    super(DomainErrorCode.INVALID_STATE, message, field);
  }
}

export class LimitExceeded extends DomainError {
  constructor(message: string, field: string | null = null) {
    super(DomainErrorCode.LIMIT_EXCEEDED, message, field);
  }
}

export class UpgradeRequired extends DomainError {
  constructor() {
    super(DomainErrorCode.UPGRADE_REQUIRED, "Upgrade required");
  }
}

export class LastAdmin extends DomainError {
  constructor(field: string | null = null) {
    super(DomainErrorCode.LAST_ADMIN, "The last ADMIN of an environment cannot be removed or downgraded", field);
  }
}

export class UnsafeUrl extends DomainError {
  constructor(message: string, field = "uri") {
    super(DomainErrorCode.UNSAFE_URL, message, field);
  }
}

export class InvalidCredentials extends DomainError {
  constructor() {
    super(DomainErrorCode.INVALID_CREDENTIALS, "Invalid email or password");
  }
}

/** The password was right, but the account has two-factor sign-in on and the login gave no code. */
export class TwoFactorRequired extends DomainError {
  constructor() {
    super(
      DomainErrorCode.TWO_FACTOR_REQUIRED,
      "This account needs a two-factor code: give input.code (an authenticator code or a recovery code)",
      "code",
    );
  }
}

/** A two-factor code that is wrong, used already, or outside the accepted time steps. Same code as a wrong password. */
export class InvalidTwoFactorCode extends DomainError {
  constructor() {
    super(DomainErrorCode.INVALID_CREDENTIALS, "Invalid two-factor code", "code");
  }
}

export class RateLimited extends DomainError {
  constructor(readonly retryAfterSeconds: number) {
    super(DomainErrorCode.RATE_LIMITED, `Too many failed attempts; try again in ${retryAfterSeconds} s`);
  }
}

export class NotAvailableInLive extends DomainError {
  constructor(what: string) {
    super(DomainErrorCode.NOT_AVAILABLE_IN_LIVE, `${what} is only available in TEST`);
  }
}

/** The actor would grant more than it holds (privilege escalation). Maps to AccessDeniedError. */
export class AccessDenied extends Error {}
