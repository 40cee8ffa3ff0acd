// Baseline (a2): bare node:http + pg running the SQL of the keys list, no GraphQL — the database path's ceiling.
const http = require("node:http");
const { Pool } = require("pg");

const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 20 });
const SQL = `SELECT id, organization_id, environment, name, description, role, state, prefix, last4, created_at, updated_at,
                    expires_at, last_used_at, usage_count, deactivated_at, revoked_at, created_by_type, created_by_id,
                    rotated_from_id, rotated_to_id
               FROM api_keys
              WHERE organization_id = $1 AND environment = $2 AND deleted_at IS NULL
              ORDER BY created_at DESC, id DESC
              LIMIT 21`;

const server = http.createServer((req, res) => {
  req.resume();
  req.on("end", async () => {
    const { rows } = await pool.query(SQL, [process.env.ORGANIZATION_ID, "TEST"]);
    const body = JSON.stringify({ data: { keys: rows.slice(0, 20) } });
    res.writeHead(200, { "content-type": "application/json" });
    res.end(body);
  });
});
server.listen(0, "127.0.0.1", () => process.stdout.write(`listening on http://127.0.0.1:${server.address().port}/graphql\n`));
process.on("SIGTERM", () => pool.end().then(() => process.exit(0)));
