// Peer (d): PostGraphile v5 in library mode on node:http, reading Keyway's own api_keys table in the
// benchmark's database, no authentication. Its index behaviours would hide `condition`/`orderBy` on
// columns whose only index is partial (Keyway's list index has WHERE deleted_at IS NULL), so the
// plugin is disabled and bench/keys.js gives the benchmark database a non-partial twin of that index.
// PostGraphile 5 uses Promise.withResolvers (Node 22); on Node 20 it is defined before the first import.
if (typeof Promise.withResolvers !== "function") {
  Promise.withResolvers = function withResolvers() {
    let resolve;
    let reject;
    const promise = new this((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}
const http = require("node:http");
const { postgraphile } = require("postgraphile");
const { PostGraphileAmberPreset } = require("postgraphile/presets/amber");
const { makePgService } = require("postgraphile/adaptors/pg");
const { grafserv } = require("postgraphile/grafserv/node");

async function main() {
  const preset = {
    extends: [PostGraphileAmberPreset],
    disablePlugins: ["PgIndexBehaviorsPlugin"],
    pgServices: [makePgService({ connectionString: process.env.DATABASE_URL, schemas: ["public"], poolConfig: { max: 20 } })],
    grafserv: { graphqlPath: "/graphql", graphiql: false, watch: false },
    grafast: { explain: false },
  };
  const pgl = postgraphile(preset);
  const serv = pgl.createServ(grafserv);
  const server = http.createServer();
  server.once("listening", () => server.on("error", () => {}));
  serv.addTo(server);
  await serv.ready();
  server.listen(0, "127.0.0.1", () => process.stdout.write(`listening on http://127.0.0.1:${server.address().port}/graphql\n`));
  process.on("SIGTERM", () => pgl.release().then(() => process.exit(0)));
}
main().catch((error) => {
  console.error(error);
  process.exit(1);
});
