import { Kind, type FieldNode, type GraphQLResolveInfo, type SelectionSetNode } from "graphql";
import type { EntityMetadata } from "typeorm";

/** Calls `visit` with every field of `sets`, through fragments and inline fragments whatever their type condition. */
function forEachField(sets: readonly SelectionSetNode[], info: GraphQLResolveInfo, visit: (field: FieldNode) => void): void {
  const seen = new Set<string>();
  const walk = (set: SelectionSetNode) => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) visit(selection);
      else if (selection.kind === Kind.INLINE_FRAGMENT) walk(selection.selectionSet);
      else if (!seen.has(selection.name.value)) {
        seen.add(selection.name.value);
        const fragment = info.fragments[selection.name.value];
        if (fragment) walk(fragment.selectionSet);
      }
    }
  };
  for (const set of sets) walk(set);
}

/** The selection sets of the fields named `name` in `sets`. */
function subselections(sets: readonly SelectionSetNode[], name: string, info: GraphQLResolveInfo): SelectionSetNode[] {
  const found: SelectionSetNode[] = [];
  forEachField(sets, info, (field) => {
    if (field.name.value === name && field.selectionSet) found.push(field.selectionSet);
  });
  return found;
}

/** The fields a connection field's query selects on `edges { node { … } }`. */
export function selectedNodeFields(info: GraphQLResolveInfo): Set<string> {
  const own = info.fieldNodes.flatMap((node) => (node.selectionSet ? [node.selectionSet] : []));
  const names = new Set<string>();
  forEachField(subselections(subselections(own, "edges", info), "node", info), info, (field) => names.add(field.name.value));
  return names;
}

/**
 * The entity properties a list must read for `fields`, or null for all of them: a field is its
 * column of the same name, or what `reads` says it reads (getters, field resolvers); a field that
 * is neither, the list reads every column. `always` are read whatever is selected.
 */
export function columnsFor(
  metadata: EntityMetadata,
  fields: ReadonlySet<string>,
  reads: Readonly<Record<string, readonly string[]>>,
  always: readonly string[],
): string[] | null {
  const columns = new Set(metadata.columns.map((column) => column.propertyName));
  const wanted = new Set(always);
  for (const field of fields) {
    const read = Object.hasOwn(reads, field) ? reads[field] : columns.has(field) ? [field] : null;
    if (read === null) return null;
    for (const property of read) wanted.add(property);
  }
  return [...wanted];
}
