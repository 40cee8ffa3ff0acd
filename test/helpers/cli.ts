import { ChildProcess, spawn } from "node:child_process";
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

export interface ServingKeyway {
  child: ChildProcess;
  /** The GraphQL URL it printed. */
  url: string;
  /** Everything it has printed so far. */
  output: () => string;
  /** SIGTERM, then its exit code once it has exited. */
  stop: () => Promise<number | null>;
}

/** Starts `keyway serve` with exactly `env` as its environment; resolves once it listens. */
export function serveKeyway(env: NodeJS.ProcessEnv): Promise<ServingKeyway> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, "serve"], { env });
    let output = "";
    let listening = false;
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = listening ? null : /Keyway is listening on (\S+)/.exec(output);
      if (match) {
        listening = true;
        child.removeAllListeners("exit");
        resolve({
          child,
          url: match[1],
          output: () => output,
          stop: () =>
            new Promise((done) => {
              if (child.exitCode !== null || child.signalCode !== null) return done(child.exitCode);
              child.once("exit", (code) => done(code));
              child.kill("SIGTERM");
            }),
        });
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("error", reject);
    child.on("exit", (code) => reject(new Error(`keyway serve exited with ${code}: ${output}`)));
  });
}
