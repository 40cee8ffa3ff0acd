#!/usr/bin/env node
"use strict";
const path = require("node:path");
const fs = require("node:fs");
const entry = path.join(__dirname, "..", "dist", "src", "main.js");
if (!fs.existsSync(entry)) {
  process.stderr.write("keyway: not built yet; run `npm run build` (npm ci and npm start do it for you)\n");
  process.exit(2);
}
require(entry).main(process.argv.slice(2)).catch((error) => {
  const usage = error && (error.constructor.name === "ConfigError" || error.constructor.name === "UsageError");
  process.stderr.write(`keyway: ${error && error.message ? error.message : String(error)}\n`);
  process.exit(usage ? 2 : 1);
});
