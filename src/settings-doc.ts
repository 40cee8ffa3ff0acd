import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { allSettings } from "./config.js";

/**
 * README's configuration table, generated from the settings table (settings.ts) between two markers;
 * `npm run docs:config` rewrites it, test/readme-config.test.ts fails when README differs.
 */
export const BEGIN_MARKER = "<!-- settings:begin: generated from src/settings.ts by `npm run docs:config`; edit there -->";
export const END_MARKER = "<!-- settings:end -->";

const cell = (text: string): string => text.replace(/\|/g, "\\|");

export function configurationTable(): string {
  const rows = allSettings().map((setting) => `| \`${setting.env}\` | ${cell(setting.defaultText)} | ${cell(setting.description)} |`);
  return ["| Variable | Default | Meaning |", "| --- | --- | --- |", ...rows].join("\n");
}

/** `readme` with the text between the markers replaced by the generated table. */
export function withConfigurationTable(readme: string): string {
  const begin = readme.indexOf(BEGIN_MARKER);
  const end = readme.indexOf(END_MARKER);
  if (begin < 0 || end < begin) throw new Error(`README must hold ${BEGIN_MARKER} … ${END_MARKER}`);
  return `${readme.slice(0, begin + BEGIN_MARKER.length)}\n${configurationTable()}\n${readme.slice(end)}`;
}

if (require.main === module) {
  const readmePath = path.resolve(__dirname, "../../README.md");
  writeFileSync(readmePath, withConfigurationTable(readFileSync(readmePath, "utf8")));
}
