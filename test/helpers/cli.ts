import { spawn } from "node:child_process";
import path from "node:path";

/** The installed command, as `npx keyway` runs it. */
export const BIN = path.join(__dirname, "..", "..", "bin", "keyway.js");

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `keyway <args>` to completion with exactly `env` as its environment. */
export function runKeyway(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}
