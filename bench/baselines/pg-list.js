// Baseline (a2): bare node:http + pg answering the keys list with Keyway's own SQL and the same JSON
// Keyway sends for the list query of bench/keys.js — no GraphQL, no authentication: the database path's ceiling.
const http = require("node:http");
const path = require("node:path");
const { Pool } = require("pg");

const DIST = path.join(__dirname, "..", "..", "dist", "src");
const { createDataSource } = require(path.join(DIST, "db", "data-source.js"));
const { ApiKey, apiKeyStatus } = require(path.join(DIST, "entities", "api-key.js"));
const { encodeId } = require(path.join(DIST, "db", "ids.js"));

const ORGANIZATION_ID = process.env.ORGANIZATION_ID;
const PAGE = 20;

/** The SQL of Keyway's first page: the tenant condition (TenantScope.query), the list's own filter and paginate()'s order and limit, built by TypeORM. */
async function keywayListSql() {
  const dataSource = createDataSource(process.env.DATABASE_URL, 1);
  await dataSource.initialize();
  try {
    const [sql] = dataSource
      .createQueryBuilder(ApiKey, "k")
      .where("k.organizationId = :tenantOrganizationId AND k.environment = :tenantEnvironment", {
        tenantOrganizationId: ORGANIZATION_ID,
        tenantEnvironment: "TEST",
      })
      .andWhere("k.deletedAt IS NULL")
      .orderBy("k.createdAt", "DESC")
      .addOrderBy("k.id", "DESC")
      .limit(PAGE + 1)
      .getQueryAndParameters();
    return sql;
  } finally {
    await dataSource.destroy();
  }
}

const iso = (date) => (date === null ? null : date.toISOString());
// A cursor as Keyway writes it (src/db/pagination.ts): the row's id and its order key.
const cursor = (row) => Buffer.from(`c:${row.k_id}:${row.k_created_at.getTime()}`).toString("base64url");

/** The ten fields of the list query, as Keyway writes them. */
function node(row) {
  return {
    id: encodeId("APIKey", row.k_id),
    name: row.k_name,
    description: row.k_description,
    environment: row.k_environment,
    role: row.k_role,
    status: apiKeyStatus({ state: row.k_state, expiresAt: row.k_expires_at }),
    prefix: row.k_prefix,
    createdAt: iso(row.k_created_at),
    lastUsedAt: iso(row.k_last_used_at),
    usageCount: Number(row.k_usage_count),
  };
}

async function main() {
  const sql = await keywayListSql();
  const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 20 });
  pool.on("error", () => {});
  const server = http.createServer((req, res) => {
    req.resume();
    req.on("end", async () => {
      const { rows } = await pool.query(sql, [ORGANIZATION_ID, "TEST"]);
      const page = rows.slice(0, PAGE);
      const body = JSON.stringify({
        data: {
          organizations: [
            {
              apiKeys: {
                edges: page.map((row) => ({ node: node(row) })),
                pageInfo: { hasNextPage: rows.length > PAGE, endCursor: page.length ? cursor(page[page.length - 1]) : null },
              },
            },
          ],
        },
      });
      res.writeHead(200, { "content-type": "application/json; charset=utf-8" });
      res.end(body + "\n"); // Apollo ends its JSON with a newline
    });
  });
  server.listen(0, "127.0.0.1", () => process.stdout.write(`listening on http://127.0.0.1:${server.address().port}/graphql\n`));
  process.on("SIGTERM", () => pool.end().then(() => process.exit(0)));
}
main();
