export const REDACTED = "[redacted]";

/**
 * The URI with every query value replaced by `[redacted]`, names kept
 * (`?token=abc&x=1` → `?token=[redacted]&x=[redacted]`), and the fragment
 * likewise: receivers often carry a token there, and readers need the shape only.
 */
export function redactQueryValues(uri: string): string {
  const hash = uri.indexOf("#");
  const withoutFragment = hash === -1 ? uri : uri.slice(0, hash);
  const fragment = hash === -1 ? "" : `#${REDACTED}`;
  const question = withoutFragment.indexOf("?");
  if (question === -1) return withoutFragment + fragment;
  const query = withoutFragment.slice(question + 1);
  const redacted = query
    .split("&")
    .map((part) => {
      if (part === "") return part;
      const equals = part.indexOf("=");
      // A bare part (`?abc123`) may itself be the secret.
      return equals === -1 ? REDACTED : `${part.slice(0, equals)}=${REDACTED}`;
    })
    .join("&");
  return `${withoutFragment.slice(0, question + 1)}${redacted}${fragment}`;
}
