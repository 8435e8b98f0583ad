/**
 * A real `harbor_core` process on this host, started with the core env and files the program
 * renders for a release (renderNode → the core ContainerSpec), against real PostgreSQL and Redis.
 *
 * The binary and its release's migrations come from the environment (see `realCores`); nothing
 * here builds them, and no container registry is reachable for Harbor's images. The core runs
 * outside its image, so the paths of its files are moved to a scratch directory through the env
 * keys Harbor reads them from (CONFIG_PATH, KEY_PATH, TOKEN_PRIVATE_KEY_PATH, lib/config), its
 * port through app.conf's httpport, and its working directory holds `migrations/` as the image's
 * /harbor does (common/dao/pgsql.go reads migrations/postgresql/ relative to it).
 */
import { ChildProcess, spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { loadClusterSpec } from "../../../components/config/load";
import { placeholderShared, renderNode } from "../../../components/harbor-node";
import type { ContainerSpec, SharedValues } from "../../../components/profiles/types";
import { REGISTRY_USER } from "../../../components/profiles/v2/registry";
import { registryHtpasswdLine } from "../../../components/registry-htpasswd";
import { request as httpRequest } from "../../../components/verify/registry-client";
import { harborRedisValues } from "../../../components/redis/harbor-values";
import { prodConfig, raw, SECRET_VALUES } from "../fixtures";
import { tool } from "../tools";
import { freePort } from "./network";
import { removeScratchDir, scratchDir, waitFor } from "./processes";
import type { PostgresInstance } from "./postgres";
import type { RedisInstance } from "./redis";

export interface RealCoreRelease {
    version: string;
    binary: string;
    /** The release's make/migrations (holding postgresql/). */
    migrations: string;
}

/**
 * The releases named by the environment: HARBOR_HA_HARBOR_CORE / _MIGRATIONS / _VERSION (the
 * target, default v2.15.2) and HARBOR_HA_HARBOR_CORE_FROM / _MIGRATIONS_FROM / _VERSION_FROM
 * (an older release to upgrade from).
 */
export function realCores(): { to?: RealCoreRelease; from?: RealCoreRelease } {
    const pick = (suffix: string, defaultVersion?: string): RealCoreRelease | undefined => {
        const binary = process.env[`HARBOR_HA_HARBOR_CORE${suffix}`];
        const migrations = process.env[`HARBOR_HA_HARBOR_MIGRATIONS${suffix}`];
        const version = process.env[`HARBOR_HA_HARBOR_VERSION${suffix}`] ?? defaultVersion;
        return binary && migrations && version ? { binary, migrations, version } : undefined;
    };
    return { to: pick("", "v2.15.2"), from: pick("_FROM") };
}

/** The secrets one stack shares; every core of a test gets the same (as every node does). */
export interface StackSecrets {
    shared: Partial<SharedValues>;
    jobserviceSecret: string;
    adminPassword: string;
    databasePassword: string;
}

export function stackSecrets(databasePassword: string): StackSecrets {
    const { privateKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
    const jobserviceSecret = crypto.randomBytes(12).toString("hex");
    const adminPassword = `Adm1n-${crypto.randomBytes(6).toString("hex")}`;
    const registryPassword = crypto.randomBytes(12).toString("hex");
    return {
        jobserviceSecret,
        adminPassword,
        databasePassword,
        shared: {
            secretKey: crypto.randomBytes(8).toString("hex"),
            csrfKey: crypto.randomBytes(16).toString("hex"),
            coreSecret: crypto.randomBytes(12).toString("hex"),
            jobserviceSecret,
            adminPassword,
            databasePassword,
            tokenPrivateKey: privateKey.export({ type: "pkcs1", format: "pem" }).toString(),
            registryPassword,
            registryHtpasswd: registryHtpasswdLine(REGISTRY_USER, registryPassword),
            registryHttpSecret: crypto.randomBytes(12).toString("hex"),
        },
    };
}

export interface Answer {
    status: number;
    body: string;
}

/** A plain-HTTP call to a process on this host through the program's own client; JSON body when given. */
export async function request(port: number, method: string, url: string, headers: Record<string, string>, body?: unknown): Promise<Answer> {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const r = await httpRequest({ address: `127.0.0.1:${port}`, hostname: "127.0.0.1" }, method, url, { ...headers, ...(data ? { "Content-Type": "application/json" } : {}) }, data);
    return { status: r.status, body: r.body.toString() };
}

export const basicAuth = (user: string, password: string) => ({ Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}` });

/** The highest migration a release ships (golang-migrate names them NNNN_<release>_schema.up.sql). */
export function lastMigration(migrations: string): number {
    return Math.max(...fs.readdirSync(path.join(migrations, "postgresql")).map((f) => Number(/^(\d+)_.*\.up\.sql$/.exec(f)?.[1] ?? 0)));
}

/** The harbor_core flags in a shell entrypoint the program renders (["/bin/sh", "-c", "… && exec /harbor/harbor_core -mode=…"]). */
export function coreFlags(entrypoint: string[] | undefined): string[] {
    const exec = /exec \/harbor\/harbor_core(.*)$/.exec(entrypoint?.[2] ?? "");
    if (!exec) throw new Error(`not a harbor_core entrypoint: ${JSON.stringify(entrypoint)}`);
    return exec[1].trim().split(/\s+/).filter(Boolean);
}

export interface RealCore {
    release: RealCoreRelease;
    port: number;
    /** The flags of the core containers the program renders for this release (its entrypoint). */
    clusterFlags: string[];
    /** jobservice's and registryctl's ports, when started (options.jobs). */
    jobs?: { jobservice: number; registryctl: number };
    helperLog(name: string): string;
    /** Runs the binary with `args` to its exit, or kills it after `limitMs`. */
    run(args: string[], limitMs: number): Promise<{ code: number | null; ms: number; log: string; killed: boolean }>;
    /** Starts it as a server (the program's cores run -mode=skip-migrate) and waits for /api/v2.0/ping. */
    serve(args: string[]): Promise<number>;
    log(): string;
    /** Stops the server (SIGTERM), keeping its files for another run. */
    halt(): Promise<void>;
    /** Stops it and removes its files. */
    stop(): Promise<void>;
}

/** A child process whose stdout and stderr are collected. */
interface Logged {
    proc: ChildProcess;
    log: () => string;
}

function spawnLogged(binary: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Logged {
    const proc = spawn(binary, args, { cwd, env });
    let log = "";
    proc.stdout!.on("data", (d) => (log += d));
    proc.stderr!.on("data", (d) => (log += d));
    return { proc, log: () => log };
}

const fileOf = (c: ContainerSpec, p: string) => c.files.find((f) => f.path === p)!.content;

/** The core's rendered files under `root`, and its env with their paths and its port moved there. */
function placeCore(core: ContainerSpec, root: string, port: number): NodeJS.ProcessEnv {
    const moved: Record<string, string> = {};
    for (const f of core.files) {
        const to = path.join(root, f.path);
        fs.mkdirSync(path.dirname(to), { recursive: true });
        fs.writeFileSync(to, f.path.endsWith("app.conf") ? f.content.replace(/^httpport = \d+$/m, `httpport = ${port}`) : f.content, { mode: 0o600 });
        moved[f.path] = to;
    }
    return {
        PATH: process.env.PATH,
        ...core.env,
        CONFIG_PATH: moved["/etc/core/app.conf"],
        KEY_PATH: moved["/etc/core/key"],
        TOKEN_PRIVATE_KEY_PATH: moved["/etc/core/private_key.pem"],
    };
}

/** Debian's docker-registry with the node's rendered config.yml and htpasswd; storage, listener and paths moved. */
async function startRegistry(registry: ContainerSpec, root: string, storage: string): Promise<{ proc: ChildProcess; port: number; config: string }> {
    const port = await freePort();
    const passwd = path.join(root, "registry-passwd");
    fs.writeFileSync(passwd, fileOf(registry, "/etc/registry/passwd"), { mode: 0o600 });
    const config = YAML.parse(fileOf(registry, "/etc/registry/config.yml"));
    config.storage.filesystem.rootdirectory = storage;
    config.http.addr = `127.0.0.1:${port}`;
    delete config.http.debug;
    config.auth.htpasswd.path = passwd;
    const file = path.join(root, "registry.yml");
    fs.writeFileSync(file, YAML.stringify(config), { mode: 0o600 });
    const proc = spawn(tool("docker-registry", "tools"), ["serve", file], { stdio: "ignore" });
    await waitFor("docker-registry answers", async () => {
        const status = (await request(port, "GET", "/", {})).status;
        if (status !== 200) throw new Error(`GET / -> ${status}`);
    }, 20_000);
    return { proc, port, config: file };
}

/** A rendered YAML config with `change` applied, written under `root`. */
function placeYaml(c: ContainerSpec, from: string, root: string, name: string, change: (y: Record<string, unknown>) => void): string {
    const y = YAML.parse(fileOf(c, from));
    change(y);
    const to = path.join(root, name);
    fs.writeFileSync(to, YAML.stringify(y), { mode: 0o600 });
    return to;
}

/**
 * With `registry`, the node also gets its registry (startRegistry): its storage is
 * `registry.storage`, one directory for every node as the CephFS mount is; the core's
 * REGISTRY_URL points there, and its own URLs (CORE_URL, CORE_LOCAL_URL, TOKEN_SERVICE_URL) to
 * its port. With `jobs` too, registryctl and jobservice run from their rendered configs and env,
 * with the same moves. Nothing else changes.
 */
export async function prepareCore(
    release: RealCoreRelease,
    pg: PostgresInstance,
    redis: RedisInstance,
    secrets: StackSecrets,
    options: { node?: number; registry?: { storage: string }; jobs?: { jobservice: string; registryctl: string } } = {},
): Promise<RealCore> {
    const port = await freePort();
    const spec = loadClusterSpec(
        raw(prodConfig(Math.max(2, (options.node ?? 0) + 1), {
            harbor: { hostname: "harbor.example.com", version: release.version, trivy: false },
            database: { host: "127.0.0.1", port: pg.server.port, provision: { enabled: true, adminUser: pg.adminUser } },
            redis: { host: "127.0.0.1", port: redis.server.port },
        })),
    );
    const shared: SharedValues = { ...placeholderShared(spec, false), ...secrets.shared, redis: harborRedisValues(spec.redis.endpoint, SECRET_VALUES.redisPassword) };
    const rendered = renderNode(spec, spec.nodes[options.node ?? 0], shared, "test");
    const component = (name: string) => rendered.find((c) => c.component === name)!;
    const core = component("core");

    const root = scratchDir(`core-${release.version}`);
    fs.symlinkSync(path.resolve(release.migrations), path.join(root, "migrations"));
    const env = placeCore(core, root, port);
    const self = `http://127.0.0.1:${port}`;

    const others: ChildProcess[] = [];
    const helperLogs: Record<string, () => string> = {};
    let afterServe: (() => void) | undefined;
    let jobsPorts: { jobservice: number; registryctl: number } | undefined;
    if (options.registry) {
        const reg = await startRegistry(component("registry"), root, options.registry.storage);
        others.push(reg.proc);
        Object.assign(env, { REGISTRY_URL: `http://127.0.0.1:${reg.port}`, CORE_URL: self, CORE_LOCAL_URL: self, TOKEN_SERVICE_URL: `${self}/service/token` });
        if (options.jobs) {
            const jobs = options.jobs;
            const [ctlPort, jobPort] = [await freePort(), await freePort()];
            const ctl = component("registryctl");
            const ctlConfig = placeYaml(ctl, "/etc/registryctl/config.yml", root, "registryctl.yml", (y) => Object.assign(y, { port: ctlPort, registry_config: reg.config }));
            const job = component("jobservice");
            const jobConfig = placeYaml(job, "/etc/jobservice/config.yml", root, "jobservice.yml", (y) => Object.assign(y, { port: jobPort }));
            const start = (name: string, binary: string, config: string, extra: NodeJS.ProcessEnv) => {
                const p = spawnLogged(binary, ["-c", config], root, { PATH: process.env.PATH, ...extra });
                helperLogs[name] = p.log;
                others.push(p.proc);
            };
            start("registryctl", jobs.registryctl, ctlConfig, ctl.env);
            // jobservice reads its settings from core at start and exits if core does not answer
            // (jobservice/main.go); Docker restarts it, the program starts it after core is healthy.
            afterServe = () => start("jobservice", jobs.jobservice, jobConfig, { ...job.env, CORE_URL: self, REGISTRY_URL: env.REGISTRY_URL, REGISTRY_CONTROLLER_URL: `http://127.0.0.1:${ctlPort}` });
            Object.assign(env, { JOBSERVICE_URL: `http://127.0.0.1:${jobPort}`, REGISTRY_CONTROLLER_URL: `http://127.0.0.1:${ctlPort}` });
            jobsPorts = { jobservice: jobPort, registryctl: ctlPort };
        }
    }

    let server: Logged | undefined;
    const halt = async () => {
        if (server && server.proc.exitCode === null) {
            const exited = new Promise((r) => server!.proc.once("exit", r));
            server.proc.kill("SIGTERM");
            await exited;
        }
        server = undefined;
    };
    return {
        release,
        port,
        clusterFlags: coreFlags(core.entrypoint),
        jobs: jobsPorts,
        helperLog: (name) => helperLogs[name]?.() ?? "",
        run: (args, limitMs) =>
            new Promise((resolve) => {
                const t = Date.now();
                const p = spawnLogged(release.binary, args, root, env);
                const timer = setTimeout(() => p.proc.kill("SIGKILL"), limitMs);
                p.proc.on("exit", (code, signal) => {
                    clearTimeout(timer);
                    resolve({ code, ms: Date.now() - t, log: p.log(), killed: signal === "SIGKILL" });
                });
            }),
        async serve(args) {
            const t = Date.now();
            const s = (server = spawnLogged(release.binary, args, root, env));
            await waitFor(`harbor_core ${release.version} answers /api/v2.0/ping`, async () => {
                if (s.proc.exitCode !== null) throw new Error(`exited ${s.proc.exitCode}: ${s.log().slice(-500)}`);
                if ((await request(port, "GET", "/api/v2.0/ping", {})).status !== 200) throw new Error("ping not 200 yet");
            }, 60_000);
            afterServe?.();
            afterServe = undefined;
            return Date.now() - t;
        },
        log: () => server?.log() ?? "",
        halt,
        async stop() {
            await halt();
            for (const p of others) p.kill("SIGTERM");
            removeScratchDir(root);
        },
    };
}
