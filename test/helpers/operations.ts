import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { Kind, OperationDefinitionNode, parse, print } from "graphql";

export const OPERATIONS_DIR = path.join(__dirname, "..", "operations");

/** One operation file of the corpus, with what its header comments say about how to send it. */
export interface CorpusOperation {
  /** Path below test/operations, e.g. "lists/apiKeys.graphql". */
  file: string;
  document: string;
  /** Operation names in the document (a document may hold several, as the playground's does). */
  operations: Array<{ name: string | null; type: "query" | "mutation" | "subscription" }>;
  /** `# actor: …`: who sends it (default "session", the bootstrap admin user). */
  actor: string;
  /** `<name>.variables.json` beside the file, placeholders unresolved. */
  variables: Record<string, unknown> | null;
  /** `# expect: …`: the payload member a mutation must answer (default: not UserError or AccessDeniedError). */
  expect: string | null;
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? walk(path.join(dir, entry.name)) : entry.name.endsWith(".graphql") ? [path.join(dir, entry.name)] : [],
  );
}

function header(document: string, name: string): string | null {
  const match = new RegExp(`^#\\s*${name}:\\s*(.+)$`, "m").exec(document);
  return match ? match[1].trim() : null;
}

export function loadCorpus(): CorpusOperation[] {
  return walk(OPERATIONS_DIR)
    .sort()
    .map((absolute) => {
      const document = readFileSync(absolute, "utf8");
      const variablesFile = absolute.replace(/\.graphql$/, ".variables.json");
      const operations = parse(document)
        .definitions.filter((definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION)
        .map((definition) => ({ name: definition.name?.value ?? null, type: definition.operation }));
      return {
        file: path.relative(OPERATIONS_DIR, absolute),
        document,
        operations,
        actor: header(document, "actor") ?? "session",
        variables: existsSync(variablesFile) ? JSON.parse(readFileSync(variablesFile, "utf8")) : null,
        expect: header(document, "expect"),
      };
    });
}

/** A document as graphql-js prints it: comments and layout do not count. */
export function normalize(document: string): string {
  return print(parse(document));
}

/**
 * The GraphQL documents a reader can copy from README.md: ```graphql blocks whole, and in
 * other code blocks the `"query":"…"` strings of curl bodies and gql`…` templates.
 */
export function readmeOperations(readme: string): string[] {
  const documents: string[] = [];
  for (const block of readme.matchAll(/```(\w*)\n([\s\S]*?)```/g)) {
    const [, language, body] = block;
    if (language === "graphql") {
      documents.push(body);
      continue;
    }
    for (const match of body.matchAll(/"query"\s*:\s*("(?:[^"\\]|\\.)*")/g)) documents.push(JSON.parse(match[1]));
    for (const match of body.matchAll(/gql`([^`]*)`/g)) documents.push(match[1]);
  }
  return documents;
}
