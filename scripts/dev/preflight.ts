/**
 * Pre-flight of scripts/dev-up.sh: in seconds, before anything is created, everything the dev
 * stack needs from this machine. Each failure is one line naming what is wrong and what to do;
 * exit 1 when there is any. Nothing here changes the machine.
 *
 *   ts-node scripts/dev/preflight.ts [--stack-config FILE]   checks (default: Pulumi.dev.yaml)
 *   ts-node scripts/dev/preflight.ts --data-dirs [...]         prints the stack's data directories
 */
import { execFile } from "child_process";
import * as dgram from "dgram";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { ConfigError } from "../../components/config/load";
import { ClusterSpec } from "../../components/config/spec";
import { devDataDirs, devImages, devListeners, Listener, loadDevSpec, REPO } from "./dev-stack";

/** Pulumi CLI versions the dev command runs with: CI runs v3.248.0, the SDK this project pins. */
export const PULUMI_CLI = { min: "3.248.0", belowMajor: 4 };
const PULUMI_INSTALL = "curl -fsSL https://get.pulumi.com | sh (or HARBOR_HA_DEV_BUILD_PULUMI=1 to build v3.248.0 from Go modules; needs Go)";
/** The resource plugins the program loads: the npm SDKs' own pins. */
const PLUGIN_PACKAGES = ["command", "docker", "random", "tls"];

interface Run { code: number; stdout: string; stderr: string; missing: boolean }

function run(cmd: string, args: string[], timeoutMs = 15000, env: NodeJS.ProcessEnv = process.env): Promise<Run> {
    return new Promise((resolve) => {
        execFile(cmd, args, { timeout: timeoutMs, env, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
            const e = err as (NodeJS.ErrnoException & { code?: number | string; killed?: boolean }) | null;
            const code = e ? (typeof e.code === "number" ? e.code : e.killed ? 124 : 1) : 0;
            resolve({ code, stdout: String(stdout), stderr: e?.killed ? `no answer after ${timeoutMs / 1000} s` : String(stderr), missing: e?.code === "ENOENT" });
        });
    });
}

const firstLine = (s: string) => s.trim().split("\n").filter(Boolean).pop()?.trim() ?? "";

/** Where the Docker CLI (and the provider, through DOCKER_HOST) talks to the engine. */
function dockerTarget(): string {
    return process.env.DOCKER_HOST ?? (process.env.DOCKER_CONTEXT ? `docker context ${process.env.DOCKER_CONTEXT}` : "the Docker CLI's current context");
}

export async function checkDocker(): Promise<string[]> {
    const r = await run("docker", ["version", "--format", "{{.Server.Version}}"], 10000);
    if (r.missing) return ["docker: not installed; install Docker Engine (apt-get install docker.io, or https://docs.docker.com/engine/install/)"];
    if (r.code !== 0 || !r.stdout.trim())
        return [`docker: no daemon answers at ${dockerTarget()} (${firstLine(r.stderr) || `exit ${r.code}`}); start it (systemctl start docker) or point DOCKER_HOST / docker context at one`];
    return [];
}

function parseVersion(s: string): number[] | undefined {
    const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(s.trim());
    return m ? m.slice(1, 4).map(Number) : undefined;
}

function older(a: number[], b: number[]): boolean {
    for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] < b[i];
    return false;
}

export async function checkPulumi(): Promise<string[]> {
    const r = await run("pulumi", ["version"], 15000);
    if (r.missing) return [`pulumi: not installed; install it: ${PULUMI_INSTALL}`];
    const v = parseVersion(r.stdout);
    if (r.code !== 0 || !v) return [`pulumi: \`pulumi version\` failed (${firstLine(r.stderr) || `exit ${r.code}`}); reinstall it: ${PULUMI_INSTALL}`];
    const min = parseVersion(PULUMI_CLI.min)!;
    if (older(v, min) || v[0] >= PULUMI_CLI.belowMajor)
        return [`pulumi: v${v.join(".")} is not supported (need >= v${PULUMI_CLI.min} and < v${PULUMI_CLI.belowMajor}); install a supported one: ${PULUMI_INSTALL}`];
    return [];
}

function requiredPlugins(): { name: string; version: string }[] {
    return PLUGIN_PACKAGES.map((p) => {
        const pkg = JSON.parse(fs.readFileSync(path.join(REPO, "node_modules", "@pulumi", p, "package.json"), "utf8")) as { version: string; pulumi?: { name?: string; version?: string } };
        return { name: pkg.pulumi?.name ?? p, version: pkg.pulumi?.version ?? pkg.version };
    });
}

const truthy = (v?: string) => v !== undefined && /^(1|true|yes)$/i.test(v);

/** Whether Pulumi's plugin download host answers (Pulumi fetches first-party plugins from there). */
async function pluginDownloadsReachable(): Promise<string | undefined> {
    const r = await run("curl", ["-sS", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5", "https://get.pulumi.com/releases/plugins/"], 8000);
    if (r.missing) return undefined; // no curl: let Pulumi try
    return r.code === 0 ? undefined : firstLine(r.stderr) || `curl exit ${r.code}`;
}

export async function checkPlugins(): Promise<string[]> {
    const r = await run("pulumi", ["plugin", "ls", "--json"], 20000);
    if (r.missing) return [];
    let installed: { name: string; kind: string; version: string }[] = [];
    try {
        installed = JSON.parse(r.stdout || "[]") ?? [];
    } catch {
        return [`pulumi: \`pulumi plugin ls\` did not answer in JSON (${firstLine(r.stderr)}); check PULUMI_HOME`];
    }
    const missing = requiredPlugins().filter((p) => !installed.some((i) => i.kind === "resource" && i.name === p.name && i.version === p.version));
    if (missing.length === 0) return [];
    const list = missing.map((p) => `${p.name} v${p.version}`).join(", ");
    const install = missing.map((p) => `pulumi plugin install resource ${p.name} ${p.version}`).join("; ");
    if (truthy(process.env.PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION))
        return [`pulumi plugins ${list}: not installed, and automatic plugin downloads are off (PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION); run: ${install} (or unset it)`];
    const unreachable = await pluginDownloadsReachable();
    if (unreachable)
        return [`pulumi plugins ${list}: not installed, and get.pulumi.com does not answer (${unreachable}); install them where it does (${install}) and copy ${process.env.PULUMI_HOME ?? "~/.pulumi"}/plugins here`];
    return [];
}

async function imageProblem(image: string): Promise<string | undefined> {
    const local = await run("docker", ["image", "inspect", "--format", "{{.Id}}", image], 10000);
    if (local.code === 0) return undefined;
    const remote = await run("docker", ["manifest", "inspect", image], 20000);
    return remote.code === 0 ? undefined : firstLine(remote.stderr) || `exit ${remote.code}`;
}

/** Images not on the engine and not pullable, one line per registry and reason. */
export async function checkImages(spec: ClusterSpec): Promise<string[]> {
    const images = devImages(spec);
    const results = await Promise.all(images.map(async (image) => ({ image, why: await imageProblem(image) })));
    const groups = new Map<string, string[]>();
    for (const { image, why } of results) {
        if (why === undefined) continue;
        const registry = image.split("/")[0];
        const k = `${registry}\u0000${why}`;
        groups.set(k, [...(groups.get(k) ?? []), image]);
    }
    return [...groups.entries()].map(([k, list]) => {
        const [registry, why] = k.split("\u0000");
        return `images: ${list.length} not on the Docker engine and not pullable from ${registry} (${why}): ${list.join(", ")}; ` +
            "docker pull / docker load them, or point harbor.imageRegistry (devServices.postgresImage / redisImage) at a registry that has them";
    });
}

function canBind(l: Listener): Promise<NodeJS.ErrnoException | undefined> {
    const address = l.address === "*" ? "0.0.0.0" : l.address;
    return new Promise((resolve) => {
        if (l.proto === "udp") {
            const s = dgram.createSocket("udp4");
            s.once("error", (e) => { s.close(); resolve(e); });
            s.bind(l.port, address, () => s.close(() => resolve(undefined)));
        } else {
            const s = net.createServer();
            s.once("error", (e) => resolve(e));
            s.listen(l.port, address, () => s.close(() => resolve(undefined)));
        }
    });
}

/** The process holding a port, as `ss` names it (root sees every process). */
async function holder(l: Listener): Promise<{ name: string; pid: number } | undefined> {
    const r = await run("ss", [l.proto === "udp" ? "-Hlunp" : "-Hltnp", `( sport = :${l.port} )`], 5000);
    const m = /users:\(\("([^"]+)",pid=(\d+)/.exec(r.stdout);
    return m ? { name: m[1], pid: Number(m[2]) } : undefined;
}

/** True when the port is held by what the stack itself runs there (dev-up run again). */
async function heldByTheStack(l: Listener, h: { name: string; pid: number } | undefined): Promise<boolean> {
    if ("haproxy" in l.owner) {
        const pid = Number((fs.existsSync(l.owner.haproxy) ? fs.readFileSync(l.owner.haproxy, "utf8") : "").trim().split(/\s+/)[0]);
        return h !== undefined && h.name === "haproxy" && pid > 0 && (h.pid === pid || fs.existsSync(`/proc/${h.pid}`) && ppid(h.pid) === pid);
    }
    const r = await run("docker", ["port", l.owner.container], 5000);
    return r.code === 0 && r.stdout.split("\n").some((line) => line.trim().endsWith(`:${l.port}`) && line.includes(`/${l.proto}`));
}

function ppid(pid: number): number {
    const m = /^PPid:\s*(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : 0;
}

export async function checkPorts(spec: ClusterSpec, dockerUp: boolean): Promise<string[]> {
    const out: string[] = [];
    for (const l of devListeners(spec)) {
        const err = await canBind(l);
        if (!err) continue;
        if (err.code !== "EADDRINUSE") {
            out.push(`port ${l.address}:${l.port}/${l.proto} (${l.key}): cannot listen there (${err.code}); change ${l.key} in the stack config`);
            continue;
        }
        const h = await holder(l);
        if (dockerUp && (await heldByTheStack(l, h))) continue;
        const who = h ? `${h.name} (pid ${h.pid})` : "another process";
        out.push(`port ${l.address}:${l.port}/${l.proto} (${l.key}): in use by ${who}; stop it, or change ${l.key} in the stack config`);
    }
    return out;
}

/** The host tools the dev stack's own haproxy and host scripts need (installed by apt otherwise, mid-run). */
export async function checkHostTools(spec: ClusterSpec): Promise<string[]> {
    const need = spec.loadBalancer.mode === "external" ? ["curl"] : ["haproxy", "socat", "curl"];
    const missing: string[] = [];
    for (const t of need) if ((await run("sh", ["-c", `command -v ${t}`], 5000)).code !== 0) missing.push(t);
    return missing.length ? [`host tools: ${missing.join(", ")} not installed; apt-get install ${missing.join(" ")}`] : [];
}

export async function preflight(configFile: string): Promise<string[]> {
    let spec: ClusterSpec;
    try {
        spec = loadDevSpec(configFile);
    } catch (e) {
        if (e instanceof ConfigError) return e.problems.map((p) => `config ${path.relative(process.cwd(), configFile) || configFile}: ${p}`);
        throw e;
    }
    const [docker, pulumi, tools] = await Promise.all([checkDocker(), checkPulumi(), checkHostTools(spec)]);
    const plugins = pulumi.length ? [] : await checkPlugins();
    const dockerUp = docker.length === 0;
    const [images, ports] = await Promise.all([dockerUp ? checkImages(spec) : Promise.resolve([]), checkPorts(spec, dockerUp)]);
    return [...docker, ...pulumi, ...plugins, ...tools, ...images, ...ports];
}

async function main(argv: string[]): Promise<number> {
    const at = argv.indexOf("--stack-config");
    const configFile = path.resolve(at >= 0 ? argv[at + 1] : path.join(REPO, "Pulumi.dev.yaml"));
    if (argv.includes("--data-dirs")) {
        for (const d of devDataDirs(loadDevSpec(configFile))) console.log(d);
        return 0;
    }
    const t0 = Date.now();
    const problems = await preflight(configFile);
    for (const p of problems) console.log(`dev-up: ${p}`);
    if (problems.length === 0) console.log(`dev-up: pre-flight passed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return problems.length ? 1 : 0;
}

if (require.main === module) {
    main(process.argv.slice(2)).then((code) => process.exit(code), (e) => {
        console.error(`preflight.ts: ${e instanceof ConfigError ? e.message : (e as Error).message}`);
        process.exit(1);
    });
}
