#!/usr/bin/env node
"use strict";
const path = require("node:path");
const fs = require("node:fs");
const entry = path.join(__dirname, "..", "dist", "src", "main.js");
if (!fs.existsSync(entry)) {
  process.stderr.write("keyway: not built yet; run `npm run build` (npm ci and npm start do it for you)\n");
  process.exit(2);
}
require(entry).run(process.argv.slice(2));
