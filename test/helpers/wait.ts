/**
 * Polls `probe` until it returns a value other than undefined or false, and returns that value; fails after
 * `timeoutMs`. The budget is headroom for a loaded machine, not a claim about speed: tests wait on effects,
 * never for time to pass. A probe that throws is asked again, except for an HTTP 400 (a refused query will
 * not get better by asking again).
 */
export async function waitFor<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 30_000,
  what = "condition",
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      if ((error as { response?: { status?: number } }).response?.status === 400) throw error;
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last instanceof Error ? last.message : JSON.stringify(last)}` : ""}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
