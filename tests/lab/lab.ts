/**
 * TypeScript side of the L4 lab (tests/lab/lab.sh): bring the lab up/down, find nodes, VIP and the
 * Ceph client material, and run commands on the nodes over SSH the way `command.remote.Command`
 * does (one SSH exec channel per command, run by root's shell, optional stdin).
 *
 * Settings come from the same environment variables as lab.sh (LAB_NAME, LAB_NODES, LAB_SUBNET, ...):
 * this module asks `lab.sh env --json` instead of re-deriving anything.
 */
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { q } from "../../components/scripts/shell";

export const LAB_SCRIPT = path.join(__dirname, "lab.sh");

/** The L4 suite runs only when asked for (root, Debian, a few minutes): HARBOR_HA_LAB=1. */
export function labEnabled(): boolean {
    return process.env.HARBOR_HA_LAB === "1";
}

export interface LabNode {
    /** node1..N: also the node's hostname */
    name: string;
    ip: string;
    /** docker container name on the host (for docker kill/start in failover tests) */
    container: string;
}

export interface LabCeph {
    container: string;
    monIp: string;
    /** "ip:6789" (msgr v1 port; ceph-fuse also speaks v2 on 3300) */
    monAddr: string;
    /** mon_host value as in ceph.conf */
    monHost: string;
    fsName: string;
    /** client id without "client.": the key is restricted to `path` */
    clientName: string;
    path: string;
    confPath: string;
    /** bare key (a secretfile), mode 0600 on the host */
    secretPath: string;
    keyringPath: string;
    adminKeyringPath: string;
}

export interface LabInfo {
    name: string;
    stateDir: string;
    subnet: string;
    gateway: string;
    vip: string;
    sshKey: string;
    sshConfig: string;
    labScript: string;
    nodes: LabNode[];
    ceph: LabCeph | null;
}

let cached: LabInfo | undefined;

/** Where everything is (valid before `up`; files exist after it). */
export function labInfo(): LabInfo {
    if (!cached) {
        const r = spawnSync(LAB_SCRIPT, ["env", "--json"], { encoding: "utf8" });
        if (r.status !== 0) throw new Error(`lab.sh env --json failed: ${r.stderr}`);
        cached = JSON.parse(r.stdout) as LabInfo;
    }
    return cached;
}

/** The Ceph part of the lab; throws when the lab runs without Ceph. */
export function labCeph(): LabCeph {
    const c = labInfo().ceph;
    if (!c) throw new Error("this lab has no Ceph cluster (LAB_CEPH=0)");
    return c;
}

/** Read the restricted client's bare key (what a Pulumi config would hold as a secret). */
export function cephClientKey(): string {
    return fs.readFileSync(labCeph().secretPath, "utf8").trim();
}

function runScript(args: string[], timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
        const child = spawn(LAB_SCRIPT, args, { stdio: ["ignore", "inherit", "inherit"] });
        const timer = setTimeout(() => child.kill("SIGTERM"), timeoutMs);
        child.on("error", reject);
        child.on("exit", (code, signal) => {
            clearTimeout(timer);
            if (code === 0) resolve();
            else reject(new Error(`lab.sh ${args.join(" ")} failed (${signal ?? `exit ${code}`})`));
        });
    });
}

function isUp(): boolean {
    return fs.existsSync(path.join(labInfo().stateDir, "up.ok"));
}

let createdHere = false;

/**
 * Bring the lab up (prereqs, cached images, network, nodes, Ceph) unless it is already up.
 * A lab that was up before is reused, and `labDown` then leaves it alone.
 */
export async function labUp(timeoutMs = 15 * 60_000): Promise<LabInfo> {
    if (isUp()) {
        process.stderr.write(`[lab] reusing lab ${labInfo().name} that was already up\n`);
    } else {
        createdHere = true;
        await runScript(["up"], timeoutMs);
    }
    return labInfo();
}

/** Tear down a lab that labUp created (LAB_KEEP=1 keeps it for debugging). */
export async function labDown(force = false): Promise<void> {
    if (!force && (!createdHere || process.env.LAB_KEEP === "1")) return;
    closeAllMasters();
    await runScript(["down"], 5 * 60_000);
    createdHere = false;
}

/** Synchronous teardown for signal handlers. */
export function labDownSync(): void {
    if (!createdHere || process.env.LAB_KEEP === "1") return;
    spawnSync(LAB_SCRIPT, ["down"], { stdio: "inherit", timeout: 5 * 60_000 });
    createdHere = false;
}

/** A node by 1-based index, name ("node2") or IP. */
export type NodeRef = number | string | LabNode;

export function labNode(ref: NodeRef): LabNode {
    if (typeof ref === "object") return ref;
    const nodes = labInfo().nodes;
    const n = typeof ref === "number" ? nodes[ref - 1] : nodes.find((x) => x.name === ref || x.ip === ref);
    if (!n) throw new Error(`no lab node ${ref}`);
    return n;
}

export function labNodes(): LabNode[] {
    return labInfo().nodes;
}

/**
 * The node's ed25519 host key ("<type> <base64>"), read through the local Docker engine (an
 * authenticated channel, unlike a scan over the network): what an operator pins in hostKey.
 */
export function labHostKey(ref: NodeRef): string {
    const r = spawnSync("docker", ["exec", labNode(ref).container, "cat", "/etc/ssh/ssh_host_ed25519_key.pub"], { encoding: "utf8", timeout: 30_000 });
    if (r.status !== 0) throw new Error(`cannot read ${labNode(ref).name}'s host key: ${r.stderr}`);
    return r.stdout.trim().split(/\s+/).slice(0, 2).join(" ");
}

function controlPath(n: LabNode): string {
    return path.join(labInfo().stateDir, "cm", `m-${n.name}`);
}

function baseSshArgs(n: LabNode): string[] {
    return ["-F", labInfo().sshConfig, "-o", `ControlPath=${controlPath(n)}`, "-o", "BatchMode=yes"];
}

/**
 * One SSH connection per node, shared by all commands (7-30 ms per command instead of ~250 ms).
 * The master is started detached with stdio ignored: a ControlPersist master that inherits our
 * pipes would keep them open. Commands fall back to a direct connection if it is gone.
 */
function ensureMaster(n: LabNode): void {
    const cp = controlPath(n);
    if (fs.existsSync(cp)) {
        const check = spawnSync("ssh", [...baseSshArgs(n), "-O", "check", `root@${n.ip}`], { stdio: "ignore", timeout: 5000 });
        if (check.status === 0) return;
        fs.rmSync(cp, { force: true });
    }
    spawnSync("ssh", [...baseSshArgs(n), "-o", "ControlMaster=yes", "-o", "ControlPersist=600", "-f", "-N", `root@${n.ip}`], {
        stdio: "ignore",
        timeout: 15_000,
    });
}

/** Close the shared connection to a node (before killing it, so nothing waits on a dead TCP peer). */
export function closeMaster(ref: NodeRef): void {
    const n = labNode(ref);
    if (fs.existsSync(controlPath(n))) {
        spawnSync("ssh", [...baseSshArgs(n), "-O", "exit", `root@${n.ip}`], { stdio: "ignore", timeout: 5000 });
    }
}

function closeAllMasters(): void {
    try {
        for (const n of labInfo().nodes) closeMaster(n);
    } catch {
        /* lab not configured */
    }
}

export interface SshOptions {
    /** bytes for the command's stdin (as remote.Command's `stdin`) */
    stdin?: string | Buffer;
    /** kill the ssh client after this long (default 120 s) */
    timeoutMs?: number;
    /** throw on a non-zero exit (default true) */
    check?: boolean;
    /** false: a fresh connection for this command (default: shared master) */
    shared?: boolean;
}

export interface SshResult {
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
    durationMs: number;
    timedOut: boolean;
}

export class SshError extends Error {
    constructor(
        message: string,
        readonly result: SshResult,
    ) {
        super(message);
    }
}

/**
 * Run `cmd` on a node as root, exactly as a remote.Command create/update/delete string is run:
 * sshd hands the string to root's shell (`bash -c`), stdin is fed and closed, no TTY.
 */
export function ssh(ref: NodeRef, cmd: string, opts: SshOptions = {}): Promise<SshResult> {
    const n = labNode(ref);
    const shared = opts.shared ?? true;
    if (shared) ensureMaster(n);
    const args = shared ? [...baseSshArgs(n), "-o", "ControlMaster=no"] : ["-F", labInfo().sshConfig, "-o", "ControlMaster=no", "-o", "ControlPath=none", "-o", "BatchMode=yes"];
    args.push(`root@${n.ip}`, "--", cmd);
    return runChild("ssh", args, opts, (result) => {
        const what = result.timedOut ? `timed out after ${opts.timeoutMs ?? 120_000} ms` : `exit ${result.code ?? result.signal}`;
        return new SshError(`ssh ${n.name}: ${what}\n$ ${cmd}\n${result.stderr}${result.stdout}`.slice(0, 8000), result);
    });
}

/**
 * Spawns a process, feeds stdin and closes it, kills it after the timeout and collects its output.
 * With `check` (default) a non-zero exit rejects with the error `fail` builds.
 */
function runChild(
    cmd: string,
    args: string[],
    opts: { timeoutMs?: number; check?: boolean; stdin?: string | Buffer },
    fail: (r: SshResult) => Error,
): Promise<SshResult> {
    const started = Date.now();
    return new Promise((resolve, reject) => {
        const child: ChildProcess = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"] });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        let timedOut = false;
        const timer = setTimeout(() => {
            timedOut = true;
            child.kill("SIGKILL");
        }, opts.timeoutMs ?? 120_000);
        child.stdout!.on("data", (d: Buffer) => out.push(d));
        child.stderr!.on("data", (d: Buffer) => err.push(d));
        child.on("error", (e) => {
            clearTimeout(timer);
            reject(e);
        });
        child.on("close", (code, signal) => {
            clearTimeout(timer);
            const result: SshResult = {
                code,
                signal,
                stdout: Buffer.concat(out).toString("utf8"),
                stderr: Buffer.concat(err).toString("utf8"),
                durationMs: Date.now() - started,
                timedOut,
            };
            if ((opts.check ?? true) && code !== 0) reject(fail(result));
            else resolve(result);
        });
        // The command may exit without reading stdin.
        child.stdin!.on("error", () => undefined);
        child.stdin!.end(opts.stdin ?? "");
    });
}

/** stdout of a command that must succeed, trimmed. */
export async function sshOut(ref: NodeRef, cmd: string, opts: SshOptions = {}): Promise<string> {
    return (await ssh(ref, cmd, opts)).stdout.trim();
}

/**
 * Write a file on a node the way `remote.CopyToRemote` does: over SFTP (scp uses the SFTP protocol
 * in OpenSSH 9) from a local file into `remotePath`.
 */
export async function copyToNode(ref: NodeRef, remotePath: string, content: string | Buffer): Promise<void> {
    const n = labNode(ref);
    const dir = fs.mkdtempSync(path.join(labInfo().stateDir, "copy-"));
    const local = path.join(dir, path.basename(remotePath));
    try {
        fs.writeFileSync(local, content, { mode: 0o600 });
        ensureMaster(n);
        const r = spawnSync("scp", [...baseSshArgs(n), "-o", "ControlMaster=no", "-q", local, `root@${n.ip}:${remotePath}`], {
            encoding: "utf8",
            timeout: 60_000,
        });
        if (r.status !== 0) throw new Error(`scp to ${n.name}:${remotePath} failed: ${r.stderr}`);
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/** Run a command on the host (docker, the lab's own tools); resolves with its output. */
export function host(cmd: string, args: string[], opts: { timeoutMs?: number; check?: boolean; stdin?: string } = {}): Promise<SshResult> {
    return runChild(cmd, args, opts, (r) => new Error(`${cmd} ${args.join(" ")}: exit ${r.code ?? r.signal}\n${r.stderr}`));
}

/** An admin `ceph ...` command inside the cluster container (stdout). */
export async function cephAdmin(args: string[], timeoutMs = 30_000): Promise<string> {
    const r = await host("docker", ["exec", labCeph().container, "timeout", String(Math.ceil(timeoutMs / 1000)), "ceph", ...args], { timeoutMs: timeoutMs + 5000 });
    return r.stdout;
}

/** Hard node loss: `docker kill` (no VRRP goodbye, no clean shutdown). */
export async function killNode(ref: NodeRef): Promise<void> {
    const n = labNode(ref);
    closeMaster(n);
    await host("docker", ["kill", n.container]);
}

/** Start a killed/stopped node again and wait until it answers over SSH with systemd up. */
export async function startNode(ref: NodeRef, timeoutMs = 120_000): Promise<void> {
    const n = labNode(ref);
    closeMaster(n);
    await host("docker", ["start", n.container]);
    await waitForNode(n, timeoutMs);
}

export async function waitForNode(ref: NodeRef, timeoutMs = 120_000): Promise<void> {
    const n = labNode(ref);
    const deadline = Date.now() + timeoutMs;
    let last = "";
    while (Date.now() < deadline) {
        const r = await ssh(n, "timeout 60 systemctl is-system-running --wait", { check: false, shared: false, timeoutMs: 70_000 }).catch((e: Error) => ({
            code: -1,
            stdout: "",
            stderr: e.message,
        }));
        last = (r.stdout + r.stderr).trim();
        if (/^(running|degraded)/m.test(r.stdout)) return;
        await sleep(500);
    }
    throw new Error(`${n.name} not back within ${timeoutMs} ms: ${last}`);
}

export function sleep(ms: number): Promise<void> {
    return new Promise((r) => setTimeout(r, ms));
}

/** The lab's base image (Debian minbase), loaded into the node's own dockerd. */
export async function loadBaseImage(node: string): Promise<string> {
    const img = (await host("docker", ["images", "harbor-ha-lab/base", "--format", "{{.Repository}}:{{.Tag}}"])).stdout.trim().split("\n")[0];
    if (!img) throw new Error("no harbor-ha-lab/base image: run tests/lab/lab.sh build");
    const have = await ssh(node, `docker image inspect ${q(img)} >/dev/null 2>&1`, { check: false });
    if (have.code !== 0) await host("sh", ["-c", `docker save ${q(img)} | docker exec -i ${q(labNode(node).container)} docker load -q`], { timeoutMs: 300_000 });
    return img;
}
