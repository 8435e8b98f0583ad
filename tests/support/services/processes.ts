/**
 * Child processes for the service tests: every server runs in its own process group with its
 * output in a log file, and is stopped when the test asks, when mocha's after hook runs, or
 * (as a last resort) when this Node process exits or is interrupted, even after a failure.
 */
import { ChildProcess, spawn, SpawnOptions } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { tool } from "../tools";

export interface ServiceProcess {
    name: string;
    child: ChildProcess;
    logFile: string;
    /** Stops the process group: `signal` first, SIGKILL after the grace period. */
    stop(): Promise<void>;
}

const running = new Set<ServiceProcess>();
const scratchDirs = new Set<string>();

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
    if (!pid) return;
    try {
        process.kill(-pid, signal);
    } catch {
        // Already gone.
    }
}

/** Synchronous last-resort cleanup: the 'exit' event cannot wait for anything. */
function killEverythingNow(): void {
    for (const p of running) killGroup(p.child.pid, "SIGKILL");
    running.clear();
    for (const dir of scratchDirs) {
        try {
            fs.rmSync(dir, { recursive: true, force: true });
        } catch {
            // Best effort.
        }
    }
}

let handlersInstalled = false;
function installExitHandlers(): void {
    if (handlersInstalled) return;
    handlersInstalled = true;
    process.on("exit", killEverythingNow);
    for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
        process.once(sig, () => {
            killEverythingNow();
            process.exit(130);
        });
    }
}

/** Whether the tests run as root (then servers that refuse root run as their Debian user). */
export function isRoot(): boolean {
    return typeof process.getuid === "function" && process.getuid() === 0;
}

/** uid/gid of a system account such as "postgres" or "mysql". */
export function accountIds(user: string): { uid: number; gid: number } {
    const line = fs.readFileSync("/etc/passwd", "utf8").split("\n").find((l) => l.startsWith(`${user}:`));
    if (!line) throw new Error(`system user ${user} not found; run scripts/ci/install-services.sh`);
    const parts = line.split(":");
    return { uid: Number(parts[2]), gid: Number(parts[3]) };
}

/** A fresh directory for one server's data, removed at exit; owned by `owner` when root. */
export function scratchDir(label: string, owner?: string): string {
    installExitHandlers();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `hha-${label}-`));
    scratchDirs.add(dir);
    if (owner && isRoot()) {
        const { uid, gid } = accountIds(owner);
        fs.chownSync(dir, uid, gid);
    }
    return dir;
}

/** Removes a scratch directory now (after its server stopped). */
export function removeScratchDir(dir: string): void {
    fs.rmSync(dir, { recursive: true, force: true });
    scratchDirs.delete(dir);
}

/** Command + args, wrapped in `runuser -u <user> --` when we are root and the server needs a user. */
export function asUser(user: string | undefined, command: string, args: string[]): [string, string[]] {
    if (user && isRoot()) return ["runuser", ["-u", user, "--", command, ...args]];
    return [command, args];
}

/** Starts a long-running server in its own process group. */
export function startProcess(
    name: string,
    command: string,
    args: string[],
    options: { logDir: string; stopSignal?: NodeJS.Signals; runAs?: string; env?: NodeJS.ProcessEnv },
): ServiceProcess {
    installExitHandlers();
    // One line naming the server and its installer instead of a bare spawn ENOENT.
    if (!path.isAbsolute(command)) command = tool(command, "services");
    const logFile = path.join(options.logDir, `${name}.log`);
    const out = fs.openSync(logFile, "a");
    const [cmd, argv] = asUser(options.runAs, command, args);
    const spawnOptions: SpawnOptions = { detached: true, stdio: ["ignore", out, out], env: options.env ?? process.env };
    const child = spawn(cmd, argv, spawnOptions);
    fs.closeSync(out);
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    const proc: ServiceProcess = {
        name,
        child,
        logFile,
        async stop() {
            if (child.exitCode !== null || child.signalCode !== null) {
                running.delete(proc);
                return;
            }
            killGroup(child.pid, options.stopSignal ?? "SIGTERM");
            let handle: NodeJS.Timeout | undefined;
            const late = new Promise<"late">((r) => (handle = setTimeout(() => r("late"), 10_000)));
            const outcome = await Promise.race([exited, late]);
            clearTimeout(handle);
            if (outcome === "late") {
                killGroup(child.pid, "SIGKILL");
                await exited;
            }
            // Children that outlived the leader (e.g. server under runuser) go too.
            killGroup(child.pid, "SIGKILL");
            running.delete(proc);
        },
    };
    running.add(proc);
    return proc;
}

/** Runs a short command to completion; rejects with its output on a non-zero exit. */
export function runToCompletion(command: string, args: string[], runAs?: string): Promise<string> {
    const [cmd, argv] = asUser(runAs, command, args);
    return new Promise((resolve, reject) => {
        const child = spawn(cmd, argv, { stdio: ["ignore", "pipe", "pipe"] });
        let output = "";
        child.stdout!.on("data", (d) => (output += d));
        child.stderr!.on("data", (d) => (output += d));
        child.on("error", reject);
        child.on("exit", (code) => (code === 0 ? resolve(output) : reject(new Error(`${command} exited ${code}: ${output.slice(-2000)}`))));
    });
}

/** Polls `probe` (every `pollMs`) until it resolves or `timeoutMs` passes; the last error explains a failure. */
export async function waitFor<T>(what: string, probe: () => Promise<T>, timeoutMs: number, logFile?: string, pollMs = 200): Promise<T> {
    const start = Date.now();
    let last: unknown;
    while (Date.now() - start < timeoutMs) {
        try {
            return await probe();
        } catch (err) {
            last = err;
            await new Promise((r) => setTimeout(r, pollMs));
        }
    }
    const log = logFile && fs.existsSync(logFile) ? `\n--- ${logFile} ---\n${fs.readFileSync(logFile, "utf8").slice(-3000)}` : "";
    throw new Error(`${what} not ready after ${timeoutMs} ms: ${String((last as Error)?.message ?? last)}${log}`);
}

/**
 * Runs a database client tool to its end, with the password in its environment (never on its
 * command line) and, when given, a file on its stdin; rejects with its stderr.
 */
export function runClient(command: string, args: string[], env: NodeJS.ProcessEnv, stdinFile?: string): Promise<void> {
    return new Promise((resolve, reject) => {
        const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: [stdinFile ? "pipe" : "ignore", "ignore", "pipe"] });
        let err = "";
        child.stderr!.on("data", (d: Buffer) => (err += d));
        if (stdinFile) fs.createReadStream(stdinFile).pipe(child.stdin!);
        child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${command} exited ${code}: ${err}`))));
    });
}
