/** One way to talk to a server over HTTP as a client does: a JSON POST, whatever the answer. */

export interface HttpResult<T = any> {
  status: number;
  headers: Headers;
  body: { data?: T; errors?: Array<{ message: string; extensions?: Record<string, any>; path?: Array<string | number> }> };
}

export async function postTo<T = any>(
  url: string,
  query: string,
  variables?: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<HttpResult<T>> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const result = { status: response.status, body: (await response.json()) as HttpResult["body"] } as HttpResult<T>;
  // Not enumerable: tests that compare a whole result with toEqual({ status, body }) keep working.
  Object.defineProperty(result, "headers", { value: response.headers, enumerable: false });
  return result;
}

export function bearer(credential: string): Record<string, string> {
  return { authorization: `Bearer ${credential}` };
}
