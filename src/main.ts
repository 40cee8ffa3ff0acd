import "reflect-metadata";
import { App } from "./app.js";
import { PERMISSIONS } from "./auth/permissions.js";
import { systemContext } from "./auth/request-context.js";
import { Config, ConfigError, loadConfig } from "./config.js";
import { APIKeyRole, Environment, Plan } from "./entities/enums.js";
import { printSdl } from "./schema/build-schema.js";
import { startServer } from "./server.js";

const HELP: Record<string, string> = {
  main: `Usage: keyway <command> [options]

Commands:
  serve                      Start the GraphQL server (default)
  migrate                    Run database migrations and exit
  org create --name <name> [--plan FREE|PAID]
                             Create an organization
  org set-plan --org <id> <FREE|PAID>
                             Change an organization's plan
  org list                   List organizations
  key create --org <id> --env <test|live> --role <admin|readonly> --name <name>
                             Create an API key and print it (once)
  schema                     Print the GraphQL schema (SDL)

Run "keyway <command> --help" for a command's options. Configuration comes from
environment variables; see README.md.`,
  serve: "Usage: keyway serve\n\nStarts the server on PORT (4000). Without DATABASE_URL an embedded PostgreSQL keeps its data in KEYWAY_DATA_DIR (./.keyway).",
  migrate: "Usage: keyway migrate\n\nRuns pending migrations against the configured database and exits.",
  org: "Usage:\n  keyway org create --name <name> [--plan FREE|PAID]\n  keyway org set-plan --org <org_id> <FREE|PAID>\n  keyway org list",
  key: "Usage: keyway key create --org <org_id> --env <test|live> --role <admin|readonly> --name <name>\n\nPrints the new key once; only its hash is stored.",
  schema: "Usage: keyway schema\n\nPrints the schema as SDL, sorted; the committed schema.graphql is this output.",
};

class UsageError extends Error {}

function parseFlags(args: string[]): { flags: Record<string, string>; positional: string[] } {
  const flags: Record<string, string> = {};
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg.startsWith("--")) {
      const [name, inline] = arg.slice(2).split("=", 2);
      const value = inline ?? args[++i];
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
      flags[name] = value;
    } else positional.push(arg);
  }
  return { flags, positional };
}

function required(flags: Record<string, string>, name: string): string {
  const value = flags[name];
  if (!value) throw new UsageError(`--${name} is required`);
  return value;
}

function enumValue<T extends string>(raw: string, values: readonly T[], what: string): T {
  const upper = raw.toUpperCase() as T;
  if (!values.includes(upper)) throw new UsageError(`${what} must be one of ${values.join(", ")}; got "${raw}"`);
  return upper;
}

async function withApp<T>(config: Config, work: (app: App) => Promise<T>): Promise<T> {
  const app = await App.open(config);
  try {
    await app.migrate();
    return await work(app);
  } finally {
    await app.close();
  }
}

async function serve(config: Config): Promise<void> {
  const app = await App.open(config);
  const { logger } = app.services;
  await app.migrate();
  const created = await app.bootstrap();
  if (created) {
    // Printed to the terminal once, never logged: these are the only copies.
    process.stdout.write(
      [
        "",
        "Keyway created its first organization.",
        `  Admin login:     ${created.adminEmail}`,
        created.generatedPassword ? `  Admin password:  ${created.generatedPassword}   (generated; shown once)` : "  Admin password:  from KEYWAY_ADMIN_PASSWORD",
        `  TEST API key:    ${created.apiKey}   (shown once)`,
        "",
        "",
      ].join("\n"),
    );
  }
  await app.startBackground();
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

async function org(config: Config, args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  const { flags, positional } = parseFlags(rest);
  if (sub === "create") {
    const name = required(flags, "name");
    const plan = enumValue(flags.plan ?? "FREE", Object.values(Plan), "--plan");
    const organization = await withApp(config, (app) => app.services.organizations.create(name, plan));
    process.stdout.write(`${organization.nodeId}\t${organization.plan}\t${organization.name}\n`);
  } else if (sub === "set-plan") {
    const id = required(flags, "org");
    if (positional.length !== 1) throw new UsageError("Give the plan: FREE or PAID");
    const plan = enumValue(positional[0], Object.values(Plan), "plan");
    const organization = await withApp(config, (app) => app.services.organizations.setPlan(id, plan));
    if (!organization) throw new UsageError(`No organization ${id}`);
    process.stdout.write(`${organization.nodeId}\t${organization.plan}\t${organization.name}\n`);
  } else if (sub === "list") {
    const organizations = await withApp(config, (app) => app.services.organizations.list());
    for (const o of organizations) process.stdout.write(`${o.nodeId}\t${o.plan}\t${o.name}\n`);
  } else {
    throw new UsageError(HELP.org);
  }
}

async function key(config: Config, args: string[]): Promise<void> {
  const [sub, ...rest] = args;
  if (sub !== "create") throw new UsageError(HELP.key);
  const { flags } = parseFlags(rest);
  const orgId = required(flags, "org");
  const environment = enumValue(required(flags, "env"), Object.values(Environment), "--env");
  const role = enumValue(required(flags, "role"), Object.values(APIKeyRole), "--role");
  const name = required(flags, "name");
  const plaintext = await withApp(config, async (app) => {
    const organization = await app.services.organizations.findByAnyId(orgId);
    if (!organization) throw new UsageError(`No organization ${orgId}`);
    const ctx = systemContext(organization.id, environment, new Set(PERMISSIONS));
    return (await app.services.apiKeys.issueAsOperator(ctx, name, role)).key!;
  });
  process.stdout.write(`${plaintext}\n`);
}

export async function main(argv: string[]): Promise<void> {
  const [command = "serve", ...args] = argv;
  if (command === "--help" || command === "-h" || command === "help") {
    process.stdout.write(HELP.main + "\n");
    return;
  }
  if (!HELP[command] || command === "main") throw new UsageError(`Unknown command "${command}"\n\n${HELP.main}`);
  if (args.includes("--help") || args.includes("-h")) {
    process.stdout.write(HELP[command] + "\n");
    return;
  }
  if (command === "schema") {
    process.stdout.write(await printSdl());
    return;
  }
  const config = loadConfig();
  if (command === "serve") return serve(config);
  if (command === "migrate") {
    const ran = await withApp(config, async () => []);
    void ran;
    process.stdout.write("Migrations are up to date\n");
    return;
  }
  if (command === "org") return org(config, args);
  if (command === "key") return key(config, args);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    if (error instanceof ConfigError || error instanceof UsageError) {
      process.stderr.write(`keyway: ${error.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`keyway: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
