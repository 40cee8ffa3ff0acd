import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { buildStatement, ENVIRONMENT, observeStatements, ORGANIZATION, Sql, sql, type StatementEvent, tenantMatch } from "../src/db/sql";
import { assertNoTenantTable, assertTenantScoped, TENANT_TABLES, TenantPredicateMissing } from "../src/db/tenant-tables";
import { Environment } from "../src/entities/enums";
import { mutate, seed, SEED_ENV, Seeded } from "./helpers/seed";
import { bearer, startTestServer, TestServer } from "./helpers/server";

/**
 * The tenant door has no side doors: every statement the services run on tenant tables goes through
 * a tenant scope that matches it to the tenant, or through the cross-tenant door with a reason; and
 * no service, job or authenticator holds a connection of its own.
 */

const SRC = join(__dirname, "..", "src");

/** The doors themselves, and code that holds a connection for reasons of its own (no tenant table in it). */
const MAY_HOLD_A_CONNECTION: Record<string, string> = {
  "services/tenant-scope.ts": "the tenant door",
  "services/untenanted-rows.ts": "the door to rows outside the tenant tables",
  "services/cross-tenant.ts": "the cross-tenant door",
  "services/transaction.ts": "opens transactions and hands out the doors on their connection",
  "services/registry.ts": "the composition's type: its data source goes to migrations and start-up checks in app.ts, never to a service",
  "auth/attempt-limits.ts": "the rate limiter library keeps its own table (login attempts) through the data source",
  "jobs/worker.ts": "graphile-worker's own pool",
  "jobs/worker-liveness.ts": "heartbeats of worker processes in the job queue's pool",
};

const CONNECTION_USE =
  /\b(DataSource|EntityManager|QueryRunner|Pool)\b|\.query\((?![A-Z]\w*, ")|\.manager\b|createQueryRunner|createQueryBuilder|\.em\b/;

function sourceFiles(dir: string): string[] {
  return readdirSync(join(SRC, dir), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith(".ts") ? [join(dir, entry.name)] : [],
  );
}

describe("tenant SQL, in the source", () => {
  it("no service, job or authenticator reaches a connection, a manager or SQL text but through the doors", () => {
    const offenders = ["services", "jobs", "auth"]
      .flatMap(sourceFiles)
      .filter((file) => !MAY_HOLD_A_CONNECTION[file])
      .flatMap((file) =>
        readFileSync(join(SRC, file), "utf8")
          .split("\n")
          .map((line, index) => ({ where: `src/${file}:${index + 1}`, line }))
          .filter(({ line }) => CONNECTION_USE.test(line.replace(/\/\/.*|^\s*\*.*/, ""))),
      );
    expect(offenders).toEqual([]);
  });
});

describe("the tenant check", () => {
  const tenant = { organizationId: "00000000-0000-0000-0000-000000000001", environment: Environment.TEST };
  // Built as the tenant scope builds it.
  const check = (statement: Sql) => () => assertTenantScoped(buildStatement(statement, tenant));

  it("accepts reads, writes and joins matched to the tenant", () => {
    expect(check(sql`SELECT * FROM collab_endpoints e WHERE ${tenantMatch("e")} AND e.status = 'ACTIVE'`)).not.toThrow();
    expect(check(sql`UPDATE shared_secrets SET expires_at = ${new Date()} WHERE ${tenantMatch("shared_secrets")}`)).not.toThrow();
    expect(
      check(sql`INSERT INTO shared_secrets (organization_id, environment, secret) VALUES (${ORGANIZATION}, ${ENVIRONMENT}, ${"s"})`),
    ).not.toThrow();
    expect(
      check(
        sql`SELECT e.id FROM collab_endpoints e JOIN signing_keys k ON k.owner_id = e.id
             AND k.organization_id = e.organization_id AND k.environment = e.environment WHERE ${tenantMatch("e")}`,
      ),
    ).not.toThrow();
  });

  it("refuses a tenant table read or written without both tenant columns", () => {
    const refused = [
      sql`SELECT * FROM api_keys WHERE id = ${"x"}`,
      sql`SELECT * FROM collab_endpoints e WHERE e.organization_id = ${ORGANIZATION} AND e.status = 'ACTIVE'`,
      sql`SELECT * FROM collab_endpoints e WHERE ${tenantMatch("e")} AND EXISTS (SELECT 1 FROM signing_keys k WHERE k.owner_id = e.id)`,
      sql`UPDATE notification_targets SET failing_since = now() WHERE id = ${"x"}`,
      sql`DELETE FROM audit_log WHERE organization_id = ${tenant.organizationId} AND environment = ${tenant.environment}`,
      sql`INSERT INTO shared_secrets (organization_id, environment, secret) VALUES (${"other"}, ${ENVIRONMENT}, ${"s"})`,
      sql`INSERT INTO memberships (user_id, role) VALUES (${"u"}, 'ADMIN')`,
    ];
    for (const statement of refused) expect(check(statement)).toThrow(TenantPredicateMissing);
    expect(() => assertNoTenantTable("SELECT * FROM users u JOIN memberships m ON m.user_id = u.id")).toThrow(TenantPredicateMissing);
  });
});

describe("tenant SQL, as the server runs it", () => {
  let server: TestServer;
  let seeded: Seeded;
  const events: StatementEvent[] = [];
  let stopObserving: () => void;

  beforeAll(async () => {
    server = await startTestServer(SEED_ENV);
    stopObserving = observeStatements((event) => events.push(event));
    seeded = await seed(server, 6);
    // What the seed does not: the shared secret, read (created) and rotated.
    const { body } = await server.post("{ organizations { sharedSecret { secret } } }", {}, bearer(server.adminKey));
    expect(body.data.organizations[0].sharedSecret.secret).toBeTruthy();
    await mutate(
      server,
      server.adminKey,
      "rotateSharedSecret",
      "mutation { rotateSharedSecret { __typename ... on SharedSecret { secret } } }",
      {},
    );
  }, 180_000);

  afterAll(async () => {
    stopObserving?.();
    await seeded?.stop();
    await server?.stop();
  });

  const tablesNamed = (via: (name: string) => boolean) =>
    new Set(
      events
        .filter((event) => via(event.via))
        .flatMap((event) => [...TENANT_TABLES].filter((table) => new RegExp(`\\b${table}\\b`).test(event.statement.text))),
    );

  it("the tenant tables are exactly those with organization_id and environment", async () => {
    const rows: Array<{ table_name: string }> = await server.app.services.dataSource.query(
      // A partition (one day of events) holds its parent table's rows and is reached through the parent only.
      `SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' AND column_name IN ('organization_id', 'environment')
          AND table_name NOT IN (SELECT relname FROM pg_class WHERE relispartition)
        GROUP BY table_name HAVING count(*) = 2 ORDER BY table_name`,
    );
    expect(rows.map((row) => row.table_name)).toEqual([...TENANT_TABLES].sort());
  });

  it("every plain statement on tenant tables ran through a tenant scope, matched and bound to a real tenant", () => {
    const scoped = events.filter((event) => event.via === "tenant scope");
    expect(scoped.length).toBeGreaterThan(50);
    for (const { statement } of scoped) {
      expect(() => assertTenantScoped(statement)).not.toThrow();
      const { organization, environment } = statement.tenantParams;
      if (organization) expect(statement.values[Number(organization.slice(1)) - 1]).toBe(server.organizationId);
      if (environment) expect(Object.values(Environment)).toContain(statement.values[Number(environment.slice(1)) - 1]);
    }
    // The services' hand-written statements were all exercised: each of these tables was reached through the scope.
    expect([...tablesNamed((via) => via === "tenant scope")].sort()).toEqual(
      expect.arrayContaining([
        "audit_log",
        "collab_endpoints",
        "collab_requests",
        "delivery_attempts",
        "notification_deliveries",
        "notification_events",
        "notification_targets",
        "shared_secrets",
        "signing_keys",
      ]),
    );
  });

  it("statements outside a tenant name no tenant table; those across tenants say why", () => {
    expect(tablesNamed((via) => via === "untenanted rows").size).toBe(0);
    const reasons = new Set(events.filter((event) => event.via.startsWith("cross-tenant: ")).map((event) => event.via));
    expect([...reasons]).toEqual(
      expect.arrayContaining([
        "cross-tenant: authenticate an API key by its hash",
        "cross-tenant: authenticate a session",
        "cross-tenant: job worker: the event to fan out",
        "cross-tenant: job worker: the delivery to attempt",
      ]),
    );
  });

  it("a statement missing the tenant is refused before it reaches the database", async () => {
    const scope = server.app.services.transactions.scope({ organizationId: server.organizationId, environment: Environment.TEST });
    const before = events.length;
    await expect(scope.rows(sql`SELECT id FROM api_keys WHERE environment = ${ENVIRONMENT}`)).rejects.toThrow(TenantPredicateMissing);
    expect(events.length).toBe(before);
    const [count] = await scope.rows<{ n: number }>(sql`SELECT count(*)::int AS n FROM api_keys k WHERE ${tenantMatch("k")}`);
    expect(count.n).toBeGreaterThan(0);
  });
});
