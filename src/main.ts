import "reflect-metadata";
// The server, the schema and the database layer load on first use (import()), so
// --help and argument errors answer at once.
import type { App, AppOptions } from "./app.js";
import { Config, ConfigError, loadConfig } from "./config.js";
import { APIKeyRole, Environment, Plan } from "./entities/enums.js";
import type { Organization } from "./entities/organization.js";
import { formatBytes, MAX_ALLOWED_IPS, METADATA_MAX_BYTES } from "./limits.js";
import { createLogger } from "./logger.js";

const HELP: Record<string, string> = {
  main: `Usage: keyway <command> [options]

Commands:
  serve                      Start the GraphQL server (the default command)
  migrate                    Run database migrations and exit
  org create --name <name> [--plan FREE|PAID]
                             Create an organization (FREE unless --plan PAID)
  org set-plan --org <org_id> FREE|PAID
                             Change an organization's plan
  org list                   List organizations: id, plan, name
  key create --org <org_id> --env test|live --role admin|readonly|restricted --name <name>
             [--permission <p>]... [--allow-ip <ip|cidr>]... [--rate-limit <n>/<s>]
                             Create an API key and print it (shown once)
  schema                     Print the GraphQL schema (SDL)

"keyway <command> --help" or "keyway help <command>" shows a command's options.
Settings come from environment variables (DATABASE_URL, PORT, ...; see README.md).
Exit codes: 0 done, 1 the command failed, 2 wrong arguments or settings.`,
  serve: `Usage: keyway serve

Starts the server on HOST:PORT (127.0.0.1:4000) with GraphQL at /graphql, the
playground in a browser at /graphql, /healthz and /metrics. Without
DATABASE_URL an embedded PostgreSQL keeps its data in KEYWAY_DATA_DIR
(./.keyway). On an empty database it first creates an organization, an admin
user and a TEST API key, and prints their secrets once. Stored secrets are
encrypted with KEYWAY_ENCRYPTION_KEY or, when unset, a key generated once into
KEYWAY_DATA_DIR/encryption.key: keep it safe. Stop with Ctrl-C.`,
  migrate: `Usage: keyway migrate

Runs pending migrations against the configured database and exits. serve does
this too; run it alone before starting several processes of a new version.
It also encrypts stored secrets with the first key of KEYWAY_ENCRYPTION_KEY
(rotation: "<new>,<old>") and says how many it re-encrypted.`,
  org: `Usage:
  keyway org create --name <name> [--plan FREE|PAID]   prints: id, plan, name
  keyway org set-plan --org <org_id> FREE|PAID
  keyway org list                                      one organization per line

Organizations on FREE cannot create keys, webhook targets or authorization
endpoints in LIVE (UPGRADE_REQUIRED); PAID can.`,
  key: `Usage: keyway key create --org <org_id> --env test|live --role admin|readonly --name <name>
       keyway key create --org <org_id> --env test|live --role restricted --permission <permission> [--permission ...] --name <name>

Creates an API key as the operator (no plan check) and prints it on stdout,
once: only its hash is stored. "keyway org list" shows organization ids.

Options:
  --permission <p>        restricted keys only, and required for them; repeat for each
                          (keys:read keys:write users:read users:write targets:read targets:write
                          events:read events:replay collab:read collab:write collab:simulate
                          secret:read secret:write audit:read)
  --allow-ip <ip|cidr>    accept the key only from these addresses; repeat, at most ${MAX_ALLOWED_IPS}
  --rate-limit <n>/<s>    at most n requests per s seconds, e.g. 100/60
  --metadata <json>       a JSON object (at most ${formatBytes(METADATA_MAX_BYTES)}) stored with the key

Example:
  keyway key create --org org_... --env live --name "Reporting" --role restricted \\
    --permission keys:read --permission events:read --allow-ip 10.0.0.0/8`,
  schema: `Usage: keyway schema

Prints the schema as SDL, sorted; the committed schema.graphql is this output.`,
};

export class UsageError extends Error {}

interface Arguments {
  flags: Record<string, string>;
  /** Every value of the flags that may repeat, in order. */
  lists: Record<string, string[]>;
  positional: string[];
}

/**
 * `--name value` and `--name=value` flags plus positional arguments. Unknown
 * flags and surplus arguments are errors: a typo must not be silently ignored.
 */
function parseArgs(command: string, args: string[], allowed: string[], maxPositional = 0, repeatable: string[] = []): Arguments {
  const flags: Record<string, string> = {};
  const lists: Record<string, string[]> = {};
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith("--")) {
      positional.push(arg);
      continue;
    }
    const equals = arg.indexOf("=");
    const name = arg.slice(2, equals === -1 ? undefined : equals);
    if (!allowed.includes(name) && !repeatable.includes(name)) {
      throw new UsageError(`unknown option --${name} for "keyway ${command}"; run "keyway ${command.split(" ")[0]} --help"`);
    }
    const value = equals === -1 ? args[++i] : arg.slice(equals + 1);
    if (value === undefined || (equals === -1 && value.startsWith("--"))) throw new UsageError(`--${name} needs a value`);
    if (repeatable.includes(name)) (lists[name] ??= []).push(value);
    else flags[name] = value;
  }
  if (positional.length > maxPositional) throw new UsageError(`unexpected argument "${positional[maxPositional]}" for "keyway ${command}"`);
  return { flags, lists, positional };
}

function required(flags: Record<string, string>, name: string): string {
  const value = flags[name]?.trim();
  if (!value) throw new UsageError(`--${name} is required`);
  return value;
}

function enumValue<T extends string>(raw: string, values: readonly T[], what: string): T {
  const upper = raw.toUpperCase() as T;
  if (!values.includes(upper)) throw new UsageError(`${what} must be one of ${values.join(", ")}; got "${raw}"`);
  return upper;
}

async function openApp(config: Config, options: AppOptions = {}): Promise<App> {
  try {
    const { App } = await import("./app.js");
    return await App.open(config, options);
  } catch (error) {
    const source = config.databaseUrl ? "the PostgreSQL at DATABASE_URL" : `the embedded PostgreSQL in ${config.dataDir}`;
    throw new Error(`cannot open ${source}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/** One-shot commands log to stderr, so their stdout (an id, a key) can be captured by scripts. */
async function withApp<T>(config: Config, work: (app: App, migrated: string[]) => Promise<T>): Promise<T> {
  const app = await openApp(config, { logger: createLogger(config.logLevel, process.stderr) });
  try {
    return await work(app, await app.migrate());
  } finally {
    await app.close();
  }
}

async function serve(config: Config): Promise<void> {
  const app = await openApp(config);
  const { logger } = app.services;
  try {
    await app.migrate();
  } catch (error) {
    await app.close();
    throw error;
  }
  const generatedKeyFile = app.encryption?.generatedKeyFile;
  if (generatedKeyFile) {
    process.stdout.write(
      [
        "",
        `Keyway generated the key that encrypts its stored secrets: ${generatedKeyFile}`,
        "  Keep it safe and back it up, apart from database backups: without it the stored",
        "  secrets cannot be read. Or set KEYWAY_ENCRYPTION_KEY to its contents.",
        "",
        "",
      ].join("\n"),
    );
  }
  const created = await app.bootstrap();
  if (created) {
    // Printed to the terminal once, never logged: these are the only copies.
    process.stdout.write(
      [
        "",
        "Keyway created its first organization.",
        `  Admin login:     ${created.adminEmail}`,
        created.generatedPassword
          ? `  Admin password:  ${created.generatedPassword}   (generated; shown once)`
          : "  Admin password:  from KEYWAY_ADMIN_PASSWORD",
        `  TEST API key:    ${created.apiKey}   (shown once)`,
        "",
        "",
      ].join("\n"),
    );
  }
  await app.startBackground();
  const { startServer } = await import("./server.js");
  const server = await startServer(app);
  logger.info({ url: server.url }, "Keyway is listening");
  process.stdout.write(`Keyway is listening on ${server.url}\n`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    const force = setTimeout(() => process.exit(1), 20_000);
    force.unref();
    await server.stop();
    await app.close();
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

function printOrganization(organization: Organization): void {
  process.stdout.write(`${organization.nodeId}\t${organization.plan}\t${organization.name}\n`);
}

/** The operator's commands are Keyway's own work: the system actor, before any tenant is chosen. */
async function operatorContext() {
  return (await import("./auth/request-context.js")).systemRequestContext();
}

async function org(config: Config, args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  if (sub === "create") {
    const { flags } = parseArgs("org create", rest, ["name", "plan"]);
    const name = required(flags, "name");
    const plan = enumValue(flags.plan ?? "FREE", Object.values(Plan), "--plan");
    printOrganization(await withApp(config, async (app) => app.services.organizations.create(await operatorContext(), name, plan)));
  } else if (sub === "set-plan") {
    const { flags, positional } = parseArgs("org set-plan", rest, ["org", "plan"], 1);
    const id = required(flags, "org");
    const rawPlan = positional[0] ?? flags.plan;
    if (!rawPlan) throw new UsageError("give the plan: keyway org set-plan --org <org_id> FREE|PAID");
    const plan = enumValue(rawPlan, Object.values(Plan), "plan");
    const organization = await withApp(config, async (app) => app.services.organizations.setPlan(await operatorContext(), id, plan));
    if (!organization) throw new UsageError(`no organization ${id}; "keyway org list" shows them`);
    printOrganization(organization);
  } else if (sub === "list") {
    parseArgs("org list", rest, []);
    for (const organization of await withApp(config, async (app) => app.services.organizations.list(await operatorContext())))
      printOrganization(organization);
  } else {
    throw new UsageError(
      sub
        ? `unknown command "org ${sub}"; run "keyway org --help"`
        : 'missing command: keyway org create | set-plan | list; run "keyway org --help"',
    );
  }
}

/** Which flag of `key create` sets each field of the key. */
const KEY_FLAGS: Record<string, string> = {
  permissions: "--permission",
  allowedIps: "--allow-ip",
  rateLimit: "--rate-limit",
  metadata: "--metadata",
};

function rateLimitFlag(raw: string): { limit: number; windowSeconds: number } {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(raw);
  if (!match) throw new UsageError(`--rate-limit must be <requests>/<seconds>, e.g. 100/60; got "${raw}"`);
  return { limit: Number(match[1]), windowSeconds: Number(match[2]) };
}

function metadataFlag(raw: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new UsageError("--metadata must be a JSON object");
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw new UsageError("--metadata must be a JSON object");
  return value as Record<string, unknown>;
}

async function key(config: Config, args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  if (sub !== "create") {
    throw new UsageError(
      sub ? `unknown command "key ${sub}"; run "keyway key --help"` : 'missing command: keyway key create; run "keyway key --help"',
    );
  }
  const { flags, lists } = parseArgs("key create", rest, ["org", "env", "role", "name", "rate-limit", "metadata"], 0, [
    "permission",
    "allow-ip",
  ]);
  const orgId = required(flags, "org");
  const environment = enumValue(required(flags, "env"), Object.values(Environment), "--env");
  const role = enumValue(required(flags, "role"), Object.values(APIKeyRole), "--role");
  const name = required(flags, "name");
  const controls = {
    permissions: lists.permission ?? null,
    allowedIps: lists["allow-ip"] ?? null,
    rateLimit: flags["rate-limit"] !== undefined ? rateLimitFlag(flags["rate-limit"]) : null,
    metadata: flags.metadata !== undefined ? metadataFlag(flags.metadata) : null,
  };
  const plaintext = await withApp(config, async (app) => {
    const organization = await app.services.organizations.findByAnyId(await operatorContext(), orgId);
    if (!organization) throw new UsageError(`no organization ${orgId}; "keyway org list" shows them`);
    const [{ systemContext }, { PERMISSIONS }, { InvalidInput }] = await Promise.all([
      import("./auth/request-context.js"),
      import("./auth/permissions.js"),
      import("./services/domain-errors.js"),
    ]);
    const ctx = systemContext(organization.id, environment, new Set(PERMISSIONS));
    try {
      return (await app.services.apiKeys.issueAsOperator(ctx, name, role, controls)).key!;
    } catch (error) {
      // The service names the input field; the operator typed a flag.
      if (error instanceof InvalidInput)
        throw new UsageError(`${KEY_FLAGS[error.field?.split(".")[0] ?? ""] ?? "key create"}: ${error.message}`);
      throw error;
    }
  });
  // The key alone on stdout (for scripts); the reminder on stderr.
  process.stdout.write(`${plaintext}\n`);
  process.stderr.write("Store this key now: Keyway keeps only its hash and cannot show it again.\n");
}

export async function main(argv: string[]): Promise<void> {
  const [command = "serve", ...args] = argv;
  if (command === "--help" || command === "-h" || command === "help") {
    const topic = command === "help" && args[0] ? args[0] : "main";
    if (!Object.hasOwn(HELP, topic)) throw new UsageError(`no help for "${topic}"; run "keyway --help"`);
    process.stdout.write(HELP[topic] + "\n");
    return;
  }
  if (!Object.hasOwn(HELP, command) || command === "main") throw new UsageError(`unknown command "${command}"; run "keyway --help"`);
  if (args.includes("--help") || args.includes("-h")) {
    process.stdout.write(HELP[command] + "\n");
    return;
  }
  if (command === "schema") {
    parseArgs(command, args, []);
    const { printSdl } = await import("./schema/build-schema.js");
    process.stdout.write(await printSdl());
    return;
  }
  const config = loadConfig();
  if (command === "serve") {
    parseArgs(command, args, []);
    return serve(config);
  }
  if (command === "migrate") {
    parseArgs(command, args, []);
    const { ran, encryption } = await withApp(config, async (app, migrated) => ({ ran: migrated, encryption: app.encryption }));
    process.stdout.write(ran.length ? `Applied ${ran.length} migration(s): ${ran.join(", ")}\n` : "Migrations are up to date\n");
    if (encryption && (encryption.reencrypted > 0 || encryption.retiredKeyIds.length > 0)) {
      const retired = encryption.retiredKeyIds.length ? `; no longer used: key ${encryption.retiredKeyIds.join(", ")}` : "";
      process.stdout.write(`Encrypted ${encryption.reencrypted} stored secret(s) with key ${encryption.keyId}${retired}\n`);
    }
    return;
  }
  if (command === "org") return org(config, args);
  return key(config, args);
}

/** The `keyway` executable: exit code 2 when the command line or configuration is wrong, 1 when the command fails. */
export function run(argv: string[]): void {
  main(argv).catch((error: unknown) => {
    const usage = error instanceof ConfigError || error instanceof UsageError;
    process.stderr.write(`keyway: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = usage ? 2 : 1;
    // serve may have started background work before failing; do not wait for it.
    setImmediate(() => process.exit());
  });
}

if (require.main === module) run(process.argv.slice(2));
