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
