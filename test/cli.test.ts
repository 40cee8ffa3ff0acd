import { CliResult as Result, runKeyway, serveKeyway } from "./helpers/cli";
import { createDatabase } from "./helpers/database";

/** The real executable, as `npx keyway` runs it (after the build). */

let database: { url: string; drop: () => Promise<void> };

// Each test starts processes of its own (node, migrations, PostgreSQL connections): on a loaded machine that takes
// far longer than jest's default budget. Headroom only; nothing here is timed.
jest.setTimeout(240_000);

beforeAll(async () => {
  database = await createDatabase();
});
afterAll(async () => {
  await database?.drop();
});

function environment(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, NODE_ENV: "test", DATABASE_URL: database.url, KEYWAY_BCRYPT_COST: "4", ...extra };
}

function keyway(args: string[], env: Record<string, string> = {}): Promise<Result> {
  return runKeyway(args, environment(env));
}

describe("keyway --help", () => {
  it.each([
    [["--help"], "Usage: keyway <command>"],
    [["help"], "Usage: keyway <command>"],
    [["serve", "--help"], "Usage: keyway serve"],
    [["migrate", "--help"], "Usage: keyway migrate"],
    [["org", "--help"], "keyway org set-plan --org <org_id> FREE|PAID"],
    [["org", "create", "--help"], "keyway org create --name <name>"],
    [["help", "key"], "Usage: keyway key create --org <org_id> --env test|live --role admin|readonly --name <name>"],
    [["key", "create", "-h"], "Usage: keyway key create"],
    [["schema", "--help"], "Usage: keyway schema"],
  ])("keyway %j prints its usage", async (args, usage) => {
    const result = await keyway(args);
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(result.stdout).toContain(usage);
  });
});

describe("wrong arguments", () => {
  it.each([
    [["bogus"], 'keyway: unknown command "bogus"; run "keyway --help"'],
    [["org"], 'keyway: missing command: keyway org create | set-plan | list; run "keyway org --help"'],
    [["org", "delete"], 'keyway: unknown command "org delete"; run "keyway org --help"'],
    [["org", "create"], "keyway: --name is required"],
    [["org", "create", "--nmae", "Acme"], 'keyway: unknown option --nmae for "keyway org create"; run "keyway org --help"'],
    [["org", "create", "--name"], "keyway: --name needs a value"],
    [["org", "create", "--name", "Acme", "--plan", "GOLD"], 'keyway: --plan must be one of FREE, PAID; got "GOLD"'],
    [["org", "set-plan", "--org", "org_1"], "keyway: give the plan: keyway org set-plan --org <org_id> FREE|PAID"],
    [
      ["key", "create", "--org", "org_1", "--env", "prod", "--role", "admin", "--name", "ci"],
      'keyway: --env must be one of TEST, LIVE; got "prod"',
    ],
    [
      ["key", "create", "--org", "org_1", "--env", "test", "--role", "owner", "--name", "ci"],
      'keyway: --role must be one of ADMIN, READONLY, RESTRICTED; got "owner"',
    ],
    [["migrate", "now"], 'keyway: unexpected argument "now" for "keyway migrate"'],
  ])("keyway %j exits 2 with one line", async (args, message) => {
    const result = await keyway(args);
    expect(result).toEqual({ code: 2, stdout: "", stderr: message + "\n" });
  });

  it("exits 2 naming the variable when a setting is wrong", async () => {
    const result = await keyway(["serve"], { PORT: "abc" });
    expect(result).toEqual({ code: 2, stdout: "", stderr: 'keyway: PORT must be an integer, got "abc"\n' });
  });

  it("exits 1 with the reason when the database cannot be reached", async () => {
    const result = await keyway(["migrate"], { DATABASE_URL: "postgres://keyway@127.0.0.1:1/keyway" });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^keyway: cannot open the PostgreSQL at DATABASE_URL: .*ECONNREFUSED.*\n$/);
  });
});

describe("an operator's session", () => {
  it("migrates, creates an organization, upgrades it and issues a key that the server accepts", async () => {
    const migrated = await keyway(["migrate"]);
    expect(migrated).toMatchObject({ code: 0, stderr: "" });
    expect(migrated.stdout).toMatch(/^Applied \d+ migration\(s\): /);
    expect(await keyway(["migrate"])).toEqual({ code: 0, stdout: "Migrations are up to date\n", stderr: "" });

    const created = await keyway(["org", "create", "--name", "Acme Payments"]);
    expect(created.code).toBe(0);
    const [orgId, plan, name] = created.stdout.trimEnd().split("\t");
    expect(orgId).toMatch(/^org_[0-9a-f]{32}$/);
    expect([plan, name]).toEqual(["FREE", "Acme Payments"]);

    expect(await keyway(["org", "set-plan", "--org", orgId, "paid"])).toEqual({
      code: 0,
      stdout: `${orgId}\tPAID\tAcme Payments\n`,
      stderr: "",
    });
    expect((await keyway(["org", "list"])).stdout).toContain(`${orgId}\tPAID\tAcme Payments\n`);
    const missing = await keyway(["org", "set-plan", "--org", "org_00000000000000000000000000000000", "PAID"]);
    expect(missing).toEqual({
      code: 2,
      stdout: "",
      stderr: 'keyway: no organization org_00000000000000000000000000000000; "keyway org list" shows them\n',
    });

    const issued = await keyway(["key", "create", "--org", orgId, "--env", "live", "--role", "readonly", "--name", "Reporting"]);
    expect(issued.code).toBe(0);
    expect(issued.stdout).toMatch(/^kw_live_[0-9A-Za-z]{36}\n$/);
    expect(issued.stderr).toBe("Store this key now: Keyway keeps only its hash and cannot show it again.\n");
    const key = issued.stdout.trim();

    const server = await serveKeyway(environment({ PORT: "0", HOST: "127.0.0.1" }));
    try {
      const response = await fetch(server.url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
        body: JSON.stringify({ query: "{ viewer { environment role organization { id name plan } } }" }),
      });
      expect(await response.json()).toEqual({
        data: { viewer: { environment: "LIVE", role: "READONLY", organization: { id: orgId, name: "Acme Payments", plan: "PAID" } } },
      });
      // An organization existed, so the server created nothing and printed no secret.
      expect(server.output()).not.toContain("created its first organization");
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });
});
