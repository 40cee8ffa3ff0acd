// Baseline (a): Apollo Server 5 on express 5 answering { hello } — the stack's own ceiling.
const http = require("node:http");
const express = require("express");
const { ApolloServer } = require("@apollo/server");
const { expressMiddleware } = require("@as-integrations/express5");
const { ApolloServerPluginDrainHttpServer } = require("@apollo/server/plugin/drainHttpServer");

async function main() {
  const app = express();
  const httpServer = http.createServer(app);
  const server = new ApolloServer({
    typeDefs: "type Query { hello: String! }",
    resolvers: { Query: { hello: () => "world" } },
    plugins: [ApolloServerPluginDrainHttpServer({ httpServer })],
  });
  await server.start();
  app.use("/graphql", express.json({ limit: "1mb" }), expressMiddleware(server));
  httpServer.listen(0, "127.0.0.1", () => process.stdout.write(`listening on http://127.0.0.1:${httpServer.address().port}/graphql\n`));
  process.on("SIGTERM", () => server.stop().then(() => process.exit(0)));
}
main();
