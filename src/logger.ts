import pino, { DestinationStream, Logger } from "pino";

/**
 * pino's error serializer copies every property of an error. TypeORM's QueryFailedError
 * carries the statement's `parameters`, which may be secrets (signing keys, shared
 * secrets) or their ciphertexts: the query text stays, its parameters never reach a log.
 */
function serializeError(error: unknown): unknown {
  const serialized = pino.stdSerializers.err(error as Error) as unknown as Record<string, unknown>;
  if (!serialized || typeof serialized !== "object") return serialized;
  return withoutParameters(serialized, 0);
}

function withoutParameters(value: Record<string, unknown>, depth: number): Record<string, unknown> {
  const { parameters, ...rest } = value;
  if (parameters !== undefined) rest.parameters = "[redacted]";
  if (depth < 3) {
    for (const key of ["cause", "driverError", "error"]) {
      const nested = rest[key];
      if (nested && typeof nested === "object") rest[key] = withoutParameters(nested as Record<string, unknown>, depth + 1);
    }
  }
  return rest;
}

/**
 * Structured JSON logs. Credentials never reach a log line: authorization headers,
 * keys, passwords, tokens and secrets are redacted wherever they appear in an object,
 * and SQL parameters of failed statements are never logged.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: "keyway" },
    serializers: { err: serializeError },
    redact: {
      paths: [
        "req.headers.authorization",
        "headers.authorization",
        "*.password",
        "*.currentPassword",
        "*.newPassword",
        "*.key",
        "*.token",
        "*.secret",
        "variables.input.password",
        "variables.input.currentPassword",
        "variables.input.newPassword",
        "variables.input.token",
        // Two-factor codes and set-up (not "*.code": error codes are worth logging).
        "variables.input.code",
        "*.otpauthUri",
        "*.recoveryCodes",
      ],
      censor: "[redacted]",
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
