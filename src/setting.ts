/**
 * The kinds of setting the settings table (settings.ts) is written with: each reads one environment
 * variable, checks it and says, for README, what it defaults to.
 */

export class ConfigError extends Error {}

export type Env = Record<string, string | undefined>;

/** What a setting's default and checks may depend on: NODE_ENV, read first. */
export interface SettingContext {
  nodeEnv: string;
  production: boolean;
}

/** A default that may differ under NODE_ENV=production or NODE_ENV=test. */
export interface Defaults<T> {
  default: T;
  production?: T;
  test?: T;
}

export class Setting<T> {
  constructor(
    /** The environment variable. */
    readonly env: string,
    /** What it does, one line of README's configuration table. */
    readonly description: string,
    /** The default, as README shows it. */
    readonly defaultText: string,
    private readonly read: (raw: string | undefined, context: SettingContext) => T,
  ) {}

  load(env: Env, context: SettingContext): T {
    return this.read(env[this.env], context);
  }

  /** The same setting, its value passed through `convert` (which may also refuse it with a ConfigError). */
  map<U>(convert: (value: T, context: SettingContext) => U): Setting<U> {
    return new Setting(this.env, this.description, this.defaultText, (raw, context) => convert(this.read(raw, context), context));
  }
}

/** Settings, or tables of them, by the `Config` key their value fills. */
export interface SettingsTable {
  [key: string]: Setting<unknown> | SettingsTable;
}

interface Common {
  env: string;
  description: string;
  /** Appended to the default in README, e.g. "(5 days)". */
  defaultNote?: string;
}

function defaultFor<T>(defaults: Defaults<T>, context: SettingContext): T {
  if (context.production && defaults.production !== undefined) return defaults.production;
  if (context.nodeEnv === "test" && defaults.test !== undefined) return defaults.test;
  return defaults.default;
}

function describeDefaults<T>(defaults: Defaults<T>, note: string | undefined, show: (value: T) => string): string {
  const variants = [
    defaults.production !== undefined ? `${show(defaults.production)} when \`NODE_ENV=production\`` : null,
    defaults.test !== undefined ? `${show(defaults.test)} when \`NODE_ENV=test\`` : null,
    note ?? null,
  ].filter((variant) => variant !== null);
  return variants.length > 0 ? `${show(defaults.default)} (${variants.join("; ")})` : show(defaults.default);
}

const code = (value: unknown): string => `\`${String(value)}\``;

/** Unset or empty: the default. */
const isUnset = (raw: string | undefined): raw is undefined | "" => raw === undefined || raw === "";

/**
 * An integer within [min, max]. README states the range when it is narrower than "0 or more" / "1 or
 * more", followed by `rangeNote` (a further check, made by a `map`).
 */
export function integer(options: Common & Defaults<number> & { min?: number; max?: number; rangeNote?: string }): Setting<number> {
  const { env, min = 0, max = Number.MAX_SAFE_INTEGER } = options;
  const notes = [max !== Number.MAX_SAFE_INTEGER ? `${min}–${max}` : min > 1 ? `at least ${min}` : null, options.rangeNote ?? null];
  const range = notes.filter((note) => note !== null).join("; ");
  return new Setting(
    env,
    range ? `${options.description} (${range})` : options.description,
    describeDefaults(options, options.defaultNote, code),
    (raw, context) => {
      if (isUnset(raw)) return defaultFor(options, context);
      if (!/^-?\d+$/.test(raw.trim())) throw new ConfigError(`${env} must be an integer, got "${raw}"`);
      const value = Number(raw);
      if (value < min || value > max) throw new ConfigError(`${env} must be between ${min} and ${max}, got ${value}`);
      return value;
    },
  );
}

/** true/false, also 1/0, yes/no, on/off in any case. */
export function boolean(options: Common & Defaults<boolean>): Setting<boolean> {
  const { env } = options;
  return new Setting(env, options.description, describeDefaults(options, options.defaultNote, code), (raw, context) => {
    if (isUnset(raw)) return defaultFor(options, context);
    if (/^(1|true|yes|on)$/i.test(raw)) return true;
    if (/^(0|false|no|off)$/i.test(raw)) return false;
    throw new ConfigError(`${env} must be true or false, got "${raw}"`);
  });
}

/**
 * One of `values`. Upper-case values (plans) are matched in any case; lower-case ones (policies) exactly,
 * and their error quotes each choice.
 */
export function choice<const T extends string>(options: Common & Defaults<T> & { values: readonly T[] }): Setting<T> {
  const { env, values } = options;
  const ignoreCase = values.every((value) => value === value.toUpperCase());
  return new Setting(env, options.description, describeDefaults(options, options.defaultNote, code), (raw, context) => {
    if (isUnset(raw)) return defaultFor(options, context);
    const given = (ignoreCase ? raw.toUpperCase() : raw) as T;
    if (values.includes(given)) return given;
    if (ignoreCase) throw new ConfigError(`${env} must be one of ${values.join(", ")}, got "${raw}"`);
    const quoted = values.map((value) => `"${value}"`);
    throw new ConfigError(`${env} must be ${quoted.slice(0, -1).join(", ")} or ${quoted.at(-1)}, got "${raw}"`);
  });
}

/**
 * Any text, trimmed if `trim`. Unset or empty gives the default, unless `emptyIsValue` (then only
 * unset does). `check` refuses a value (the default included) with the message it returns, which
 * follows the variable's name.
 */
export function text(
  options: Common & Defaults<string> & { trim?: boolean; emptyIsValue?: boolean; check?: (value: string) => string | null },
): Setting<string> {
  const { env, trim = false, emptyIsValue = false, check } = options;
  return new Setting(env, options.description, describeDefaults(options, options.defaultNote, code), (raw, context) => {
    const given = trim ? raw?.trim() : raw;
    const value = given === undefined || (given === "" && !emptyIsValue) ? defaultFor(options, context) : given;
    const problem = check?.(value) ?? null;
    if (problem !== null) throw new ConfigError(`${env} ${problem}`);
    return value;
  });
}

/** A value with no default: unset or empty is null (README shows `unset`, e.g. "generated"); otherwise `parse`d. */
export function optional<T>(options: Common & { unset: string; parse: (raw: string) => T }): Setting<T | null> {
  return new Setting(options.env, options.description, options.unset, (raw) => (isUnset(raw) ? null : options.parse(raw)));
}

/** A value parsed from the raw text (undefined when unset) by `parse`, which also gives the default. */
export function parsed<T>(options: Common & { defaultText: string; parse: (raw: string | undefined) => T }): Setting<T> {
  return new Setting(options.env, options.description, options.defaultText, (raw) => options.parse(raw));
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses "0,5s,5m,30m,2h" into milliseconds; a bare number is milliseconds. */
export function parseDurationList(name: string, raw: string): number[] {
  return raw.split(",").map((part) => {
    const match = /^\s*(\d+)\s*(ms|s|m|h|d)?\s*$/.exec(part);
    if (!match) throw new ConfigError(`${name} must be a comma-separated list of durations like 0,5s,5m,2h; got "${raw}"`);
    return Number(match[1]) * DURATION_UNITS[match[2] ?? "ms"];
  });
}

/**
 * Encryption keys of secrets at rest: comma-separated, each 32 bytes as 64 hex digits or
 * base64 (standard or URL-safe). The first encrypts; the others only decrypt (rotation).
 * Errors never repeat the value: it is a secret.
 */
export function parseEncryptionKeys(source: string, raw: string): Buffer[] {
  const parts = raw.split(",").map((part) => part.trim());
  return parts.map((part, i) => {
    const where = parts.length > 1 ? ` (key ${i + 1} of ${parts.length})` : "";
    const key = /^[0-9a-fA-F]{64}$/.test(part)
      ? Buffer.from(part, "hex")
      : /^[A-Za-z0-9+/_-]{43}=?$/.test(part)
        ? Buffer.from(part, "base64")
        : null;
    if (!key || key.length !== 32) {
      throw new ConfigError(
        `${source} must be 32 bytes as 64 hex digits or base64 (openssl rand -base64 32), comma-separated for rotation${where}`,
      );
    }
    return key;
  });
}
