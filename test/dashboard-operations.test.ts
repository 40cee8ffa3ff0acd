import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { Kind, parse, OperationDefinitionNode } from "graphql";

// Every operation the dashboard sends is in the operation corpus (test/operations/dashboard/), word for word,
// so the server's corpus tests hold the API to the dashboard's needs.

const SOURCE = path.join(__dirname, "..", "dashboard", "src", "operations");
const CORPUS = path.join(__dirname, "operations", "dashboard");

function graphqlFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith(".graphql"))
    .sort();
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(path.join(dir, entry.name)) : /\.tsx?$/.test(entry.name) ? [path.join(dir, entry.name)] : [],
  );
}

describe("the dashboard's operations", () => {
  const files = graphqlFiles(SOURCE);

  it("are one named operation per file, named after the file", () => {
    expect(files.length).toBeGreaterThan(30);
    for (const file of files) {
      const document = parse(readFileSync(path.join(SOURCE, file), "utf8"));
      const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
      expect([file, document.definitions.length, operations.map((o) => o.name?.value)]).toEqual([
        file,
        1,
        [file.replace(/\.graphql$/, "")],
      ]);
    }
  });

  it("are all in the corpus, unchanged, and the corpus has none the dashboard dropped", () => {
    expect(graphqlFiles(CORPUS)).toEqual(files);
    for (const file of files) {
      expect([file, readFileSync(path.join(CORPUS, file), "utf8")]).toEqual([file, readFileSync(path.join(SOURCE, file), "utf8")]);
    }
    for (const variables of readdirSync(CORPUS).filter((file) => file.endsWith(".variables.json"))) {
      expect(files).toContain(variables.replace(/\.variables\.json$/, ".graphql"));
      expect(() => JSON.parse(readFileSync(path.join(CORPUS, variables), "utf8"))).not.toThrow();
    }
  });

  it("are the only ones: no GraphQL written inline in the dashboard's code", () => {
    const src = path.join(__dirname, "..", "dashboard", "src");
    for (const file of sourceFiles(src).filter((f) => !f.includes(`${path.sep}gql${path.sep}`))) {
      const text = readFileSync(file, "utf8");
      expect([path.relative(src, file), /\b(query|mutation)\s+[A-Z]\w*\s*[({]/.test(text) || /graphql\(`/.test(text)]).toEqual([
        path.relative(src, file),
        false,
      ]);
    }
  });
});
