/** Import rules for src/, checked by `npm run lint`. */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment:
        "Modules in src/ do not import each other in a circle, type-only imports included: a circle hides which layer depends on which.",
      from: { path: "^src/" },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    // Type-only imports count: `import type` ties modules together as much as a value import does.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
  },
};
