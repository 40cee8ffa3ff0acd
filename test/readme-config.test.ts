import { readFileSync } from "node:fs";
import path from "node:path";
import { BEGIN_MARKER, configurationTable, END_MARKER } from "../src/settings-doc";
import { allSettings } from "../src/config";

const README = readFileSync(path.join(__dirname, "../README.md"), "utf8");

describe("README's configuration section", () => {
  it("is the table generated from src/settings.ts (npm run docs:config rewrites it)", () => {
    const begin = README.indexOf(BEGIN_MARKER);
    const end = README.indexOf(END_MARKER);
    expect(begin).toBeGreaterThan(0);
    expect(end).toBeGreaterThan(begin);
    expect(README.slice(begin + BEGIN_MARKER.length, end).trim()).toBe(configurationTable());
  });

  it("has a row for every setting, with its default", () => {
    const table = configurationTable();
    for (const setting of allSettings()) expect(table).toContain(`| \`${setting.env}\` | ${setting.defaultText} |`);
  });
});
