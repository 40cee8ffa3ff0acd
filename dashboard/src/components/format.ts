/** "2024-12-16 13:00:02" in the viewer's time zone, as the seeds show dates; "Never" when there is none. */
export function formatDate(value: string | null | undefined, never = "Never"): string {
  if (!value) return never;
  const date = new Date(value);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** "API_KEY_CREATED" → "API key created". */
export function humanize(value: string): string {
  const text = value
    .toLowerCase()
    .replace(/_/g, " ")
    .replace(/\bapi\b/g, "API");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export function formatAmount(minor: number, currency: string): string {
  try {
    return new Intl.NumberFormat(undefined, { style: "currency", currency }).format(minor / 100);
  } catch {
    return `${(minor / 100).toFixed(2)} ${currency}`;
  }
}
