// ESLint flat config: typescript-eslint's type-checked recommended rules on TypeScript, the plain recommended
// rules on JavaScript, and nothing about layout (Prettier formats; eslint-config-prettier turns off the rules it owns).
import js from "@eslint/js";
import prettier from "eslint-config-prettier";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "**/node_modules/",
      "dist/",
      "coverage/",
      ".keyway/",
      "test/artifacts/",
      "bench/results/",
      // The dashboard's build output and the types GraphQL Code Generator writes.
      "dashboard/dist/",
      "dashboard/src/gql/",
      "**/__generated__/",
    ],
  },
  { linterOptions: { reportUnusedDisableDirectives: "error" } },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.node },
    },
    rules: {
      // A leading underscore marks a parameter kept for its position (express's error handler needs four),
      // and `const { a: _, ...rest }` is how an object is copied without a property.
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", ignoreRestSiblings: true }],
      // Off: Apollo Server's plugin hooks, graphql gateway `load` and the services' transaction callbacks are typed to
      // return promises; `async` is the plain way to write one that has nothing to await (and it turns a throw into a
      // rejection). Promises that are forgotten are caught by no-floating-promises, which stays on.
      "@typescript-eslint/require-await": "off",
      // Permissions are declared with the typed @Allowed/@Authenticated (src/auth/allowed.ts): type-graphql's
      // Authorized takes any string, so a misspelt permission would fail only when a request reaches it.
      "no-restricted-imports": [
        "error",
        {
          paths: [{ name: "type-graphql", importNames: ["Authorized"], message: "Use Allowed or Authenticated from src/auth/allowed.ts." }],
        },
      ],
    },
  },
  {
    // Layers: resolvers → services → (db, entities). Below the resolvers nothing knows GraphQL, so the services
    // serve the CLI and the jobs as they serve the API: src/schema (GraphQL types, payloads, connections) and
    // src/resolvers are imported by the GraphQL edge only, and graphql/Apollo not at all. Entities keep their
    // type-graphql decorators (they double as the schema's object types) but import nothing from src/schema.
    // The src/auth files left out authenticate GraphQL requests and answer with GraphQL errors (401/403/429
    // extensions): graphql-edge.ts (those errors, tenantContext), authenticate.ts, api-key-authenticator.ts,
    // jwt-authenticator.ts, session-tokens.ts, attempt-limits.ts, usage-recorder.ts, auth-checker.ts (type-graphql's
    // @Authorized) and two-factor-gate.ts (an Apollo plugin). Services may import their types, not their code.
    files: ["src/services/**", "src/db/**", "src/entities/**", "src/jobs/**", "src/auth/**"],
    ignores: [
      "src/auth/graphql-edge.ts",
      "src/auth/authenticate.ts",
      "src/auth/api-key-authenticator.ts",
      "src/auth/jwt-authenticator.ts",
      "src/auth/session-tokens.ts",
      "src/auth/attempt-limits.ts",
      "src/auth/usage-recorder.ts",
      "src/auth/auth-checker.ts",
      "src/auth/two-factor-gate.ts",
    ],
    rules: {
      "@typescript-eslint/no-restricted-imports": [
        "error",
        {
          paths: [
            { name: "graphql", message: "Below the resolvers nothing knows GraphQL: throw a domain error (services/domain-errors.ts)." },
          ],
          patterns: [
            {
              group: ["**/schema", "**/schema/**", "**/resolvers", "**/resolvers/**", "graphql/**", "@apollo/**"],
              message: "Layers run resolvers → services → (db, entities): only the GraphQL edge imports src/schema and src/resolvers.",
            },
            {
              group: [
                "**/auth/graphql-edge*",
                "**/auth/authenticate*",
                "**/auth/api-key-authenticator*",
                "**/auth/jwt-authenticator*",
                "**/auth/session-tokens*",
                "**/auth/attempt-limits*",
                "**/auth/usage-recorder*",
                "**/auth/auth-checker*",
                "**/auth/two-factor-gate*",
              ],
              allowTypeImports: true,
              message: "These src/auth files are the GraphQL edge of authentication; take the RequestContext instead.",
            },
          ],
        },
      ],
    },
  },
  {
    // The one wrapper around type-graphql's Authorized.
    files: ["src/auth/allowed.ts"],
    rules: { "no-restricted-imports": "off" },
  },
  {
    files: ["test/**"],
    rules: {
      // Off in tests: they read GraphQL responses as JSON of unknown shape (`any`) and assert on them with expect();
      // typing every response would repeat the schema without checking anything the assertions do not.
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-return": "off",
    },
  },
  {
    files: ["**/*.js", "**/*.cjs"],
    languageOptions: { sourceType: "commonjs" },
  },
  {
    // No tsconfig covers the JavaScript files (bench/, bin/, jest's config and global setup), so no type information.
    files: ["**/*.js", "**/*.cjs", "**/*.mjs"],
    extends: [tseslint.configs.disableTypeChecked],
    rules: {
      // CommonJS: require() is how these files import.
      "@typescript-eslint/no-require-imports": "off",
    },
  },
  {
    files: ["dashboard/src/**"],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      // React calls event handlers and ignores what they return; an async handler is how a form submits. Promises
      // passed anywhere else must still be handled.
      "@typescript-eslint/no-misused-promises": ["error", { checksVoidReturn: { attributes: false } }],
      // Off in the dashboard: its hooks and context hand out plain functions (closures over React state, none uses
      // `this`), destructured by design; the rule cannot tell those from class methods.
      "@typescript-eslint/unbound-method": "off",
    },
  },
  prettier,
);
