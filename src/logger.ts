import pino, { DestinationStream, Logger } from "pino";

/**
 * Structured JSON logs. Credentials never reach a log line: authorization headers,
 * keys, passwords, tokens and secrets are redacted wherever they appear in an object.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: "keyway" },
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
      ],
      censor: "[redacted]",
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
