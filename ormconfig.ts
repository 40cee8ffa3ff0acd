import "reflect-metadata";
import { loadConfig } from "./src/config.js";
import { createDataSource } from "./src/db/data-source.js";

/**
 * For the TypeORM CLI against compiled output, e.g.
 *   npx typeorm migration:show -d dist/ormconfig.js
 * Needs DATABASE_URL: the embedded database is started by Keyway itself (`npx keyway migrate`).
 */
const url = loadConfig().databaseUrl;
if (!url) throw new Error("Set DATABASE_URL to use the TypeORM CLI");
export default createDataSource(url);
