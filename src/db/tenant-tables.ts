import type { BuiltStatement } from "./sql.js";

/** The tables whose rows carry organization_id and environment (entities extending TenantScoped). */
export const TENANT_TABLES: ReadonlySet<string> = new Set([
  "api_keys",
  "audit_log",
  "collab_endpoints",
  "collab_requests",
  "delivery_attempts",
  "memberships",
  "notification_deliveries",
  "notification_event_recoveries",
  "notification_events",
  "notification_target_status_changes",
  "notification_targets",
  "shared_secrets",
  "signing_keys",
  "user_invitations",
]);

/** A statement would read or write tenant rows without naming the tenant. Thrown before it reaches the database. */
export class TenantPredicateMissing extends Error {
  constructor(problem: string, text: string) {
    super(`${problem} in: ${text.replace(/\s+/g, " ").trim()}`);
    this.name = "TenantPredicateMissing";
  }
}

const KEYWORDS = new Set(
  "where set on join left right inner full cross using values select group order limit for returning when and or as with union natural lateral offset having default from into conflict do"
    .split(" ")
    .filter(Boolean),
);
const TABLE_REFERENCE = /\b(from|join|update|into)\s+(?:only\s+)?([a-z_][a-z0-9_]*)\b(?:\s+(?:as\s+)?([a-z_][a-z0-9_]*))?/gi;

interface Reference {
  keyword: string;
  table: string;
  alias: string;
  /** Where the text after the reference starts (for an INSERT's column list). */
  end: number;
}

/** Tenant-table references of the statement, string literals and comments removed first. */
function tenantReferences(text: string): Reference[] {
  const references: Reference[] = [];
  for (const match of text.matchAll(TABLE_REFERENCE)) {
    const table = match[2].toLowerCase();
    if (!TENANT_TABLES.has(table)) continue;
    const alias = match[3] && !KEYWORDS.has(match[3].toLowerCase()) ? match[3] : table;
    const end = match[3] && alias === table ? match.index + match[0].length - match[3].length : match.index + match[0].length;
    references.push({ keyword: match[1].toLowerCase(), table, alias, end });
  }
  return references;
}

function withoutLiterals(text: string): string {
  return text.replace(/'(?:[^']|'')*'/g, "''").replace(/--[^\n]*/g, "");
}

/** Items of a parenthesised or SELECT list, split at top-level commas. */
function listItems(text: string, start: number): { items: string[]; end: number } {
  const items: string[] = [];
  let depth = 0;
  let current = "";
  let i = start;
  for (; i < text.length; i++) {
    const char = text[i];
    if (char === "(") depth++;
    if (char === ")") {
      if (depth === 0) break;
      depth--;
    }
    if (char === "," && depth === 0) {
      items.push(current.trim());
      current = "";
    } else current += char;
  }
  items.push(current.trim());
  return { items, end: i + 1 };
}

const escape = (name: string) => name.replace(/[$]/g, "\\$&");

/**
 * Fails unless every tenant table the statement names is matched to the tenant: reads, updates and
 * deletes by `alias.organization_id = <organization>` and `alias.environment = <environment>` (or by
 * equality with another alias so matched), inserts by those two columns taking the tenant's values.
 * A textual check of the statements this code writes, not a SQL parser: it is strict on their forms.
 */
export function assertTenantScoped(statement: BuiltStatement): void {
  // Statement texts are few and fixed (values are placeholders): each is checked once per process.
  const key = `${statement.tenantParams.organization}|${statement.tenantParams.environment}|${statement.text}`;
  if (checked.has(key)) return;
  checkTenantScoped(statement);
  if (checked.size >= 10_000) checked.clear();
  checked.add(key);
}

const checked = new Set<string>();

function checkTenantScoped(statement: BuiltStatement): void {
  const text = withoutLiterals(statement.text);
  const references = tenantReferences(text);
  if (references.length === 0) return;
  const { organization, environment } = statement.tenantParams;
  if (!organization || !environment) throw new TenantPredicateMissing("A tenant table is named without the tenant", statement.text);
  const bound = { organization_id: organization, environment };

  const matched = new Set<string>();
  const reads = references.filter((reference) => reference.keyword !== "into");
  const isBound = (alias: string, column: keyof typeof bound, qualifiedOnly: boolean) =>
    new RegExp(`(?:\\b${alias}\\.${qualifiedOnly ? "" : "|(?<![.\\w])"})${column}\\s*=\\s*${escape(bound[column])}(?![0-9])`, "i").test(
      text,
    );
  for (const { alias, table } of reads) {
    const qualifiedOnly = alias !== table;
    if (isBound(alias, "organization_id", qualifiedOnly) && isBound(alias, "environment", qualifiedOnly)) matched.add(alias);
  }
  // Joined to a matched alias on both columns.
  for (let changed = true; changed;) {
    changed = false;
    for (const { alias } of reads) {
      if (matched.has(alias)) continue;
      const joined = [...matched].some((other) =>
        (["organization_id", "environment"] as const).every((column) =>
          new RegExp(
            `\\b${alias}\\.${column}\\s*=\\s*${other}\\.${column}\\b|\\b${other}\\.${column}\\s*=\\s*${alias}\\.${column}\\b`,
            "i",
          ).test(text),
        ),
      );
      if (joined) changed = matched.add(alias).size > 0;
    }
  }
  const unmatched = reads.find((reference) => !matched.has(reference.alias));
  if (unmatched) throw new TenantPredicateMissing(`${unmatched.table} ${unmatched.alias} is not matched to the tenant`, statement.text);

  for (const insert of references.filter((reference) => reference.keyword === "into"))
    assertInsertStamped(text, insert, bound, statement.text);
}

function assertInsertStamped(text: string, insert: Reference, bound: Record<string, string>, original: string): void {
  const open = text.indexOf("(", insert.end);
  const list = open >= 0 && /^\s*$/.test(text.slice(insert.end, open)) ? listItems(text, open + 1) : { items: [], end: insert.end };
  const columns = list.items.map((column) => column.toLowerCase());
  const source = /^\s*(values\s*\(|select\s)/i.exec(text.slice(list.end));
  const values = source ? listItems(text, list.end + source[0].length).items : [];
  for (const column of ["organization_id", "environment"]) {
    const index = columns.indexOf(column);
    const value = values[index]?.replace(/::[a-z_]+$/i, "");
    if (index < 0 || value !== bound[column]) {
      throw new TenantPredicateMissing(`INSERT INTO ${insert.table} does not set ${column} to the tenant's`, original);
    }
  }
}

/** Fails when the statement names any tenant table: for doors to rows above the tenant (users, organizations, sessions). */
export function assertNoTenantTable(text: string): void {
  const [reference] = tenantReferences(withoutLiterals(text));
  if (reference) throw new TenantPredicateMissing(`${reference.table} is a tenant table; use the tenant scope`, text);
}
