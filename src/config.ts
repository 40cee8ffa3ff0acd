import { type Env, Setting, type SettingContext, type SettingsTable } from "./setting.js";
import { INTROSPECTION_POLICIES, PRIVATE_URL_POLICIES, SETTINGS } from "./settings.js";

export { ConfigError, parseDurationList, parseEncryptionKeys } from "./setting.js";

/** Which environments may reach private and loopback addresses: "none", "test" or "all". */
export type PrivateUrlPolicy = (typeof PRIVATE_URL_POLICIES)[number];
/** Who may query __schema and __type: everyone, authenticated callers only, or no one. */
export type IntrospectionPolicy = (typeof INTROSPECTION_POLICIES)[number];

/** A table of settings (or of nested tables) → the values they load. */
type Loaded<Table> = { [Key in keyof Table]: Table[Key] extends Setting<infer Value> ? Value : Loaded<Table[Key]> };

/** Every environment variable Keyway reads, parsed and checked once (the table is settings.ts). */
export interface Config extends Loaded<typeof SETTINGS> {
  /** NODE_ENV=production. */
  production: boolean;
}

function load(table: SettingsTable, env: Env, context: SettingContext): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(table).map(([key, entry]) => [key, entry instanceof Setting ? entry.load(env, context) : load(entry, env, context)]),
  );
}

/** Every setting of the table, in its order. */
export function allSettings(table: SettingsTable = SETTINGS): Setting<unknown>[] {
  return Object.values(table).flatMap((entry) => (entry instanceof Setting ? [entry] : allSettings(entry)));
}

export function loadConfig(env: Env = process.env): Config {
  // NODE_ENV decides other settings' defaults and checks, so it is read first; its own default depends on nothing.
  const nodeEnv = SETTINGS.nodeEnv.load(env, { nodeEnv: "", production: false });
  const context: SettingContext = { nodeEnv, production: nodeEnv === "production" };
  return { ...(load(SETTINGS, env, context) as Loaded<typeof SETTINGS>), production: context.production };
}
