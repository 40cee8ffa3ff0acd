// Baseline (a): Apollo Server 5 on its own standalone HTTP server answering { hello } — the stack's own ceiling.
// Keyway serves POST /graphql the same way (node:http, body-parser, Apollo), not through express.
const { ApolloServer } = require("@apollo/server");
const { startStandaloneServer } = require("@apollo/server/standalone");

async function main() {
  const server = new ApolloServer({ typeDefs: "type Query { hello: String! }", resolvers: { Query: { hello: () => "world" } } });
  const { url } = await startStandaloneServer(server, { listen: { port: 0, host: "127.0.0.1" } });
  process.stdout.write(`listening on ${url}graphql\n`);
  process.on("SIGTERM", () => server.stop().then(() => process.exit(0)));
}
main();
