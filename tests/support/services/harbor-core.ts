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
import * as http from "http";
import * as path from "path";
import * as YAML from "yaml";
import { loadClusterSpec } from "../../../components/config/load";
import { placeholderShared, renderNode } from "../../../components/harbor-node";
import type { SharedValues } from "../../../components/profiles/types";
import { REGISTRY_USER } from "../../../components/profiles/v2/registry";
import { registryHtpasswdLine } from "../../../components/registry-htpasswd";
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

export function request(port: number, method: string, url: string, headers: Record<string, string>, body?: unknown): Promise<Answer> {
    return new Promise((resolve, reject) => {
        const data = body === undefined ? undefined : JSON.stringify(body);
        const req = http.request({ host: "127.0.0.1", port, method, path: url, headers: { ...headers, ...(data ? { "Content-Type": "application/json" } : {}) } }, (res) => {
            let text = "";
            res.on("data", (d) => (text += d));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
        });
        req.on("error", reject);
        req.end(data);
    });
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

/**
 * With `registry`, the node also gets its registry: Debian's docker-registry (distribution 2.8,
 * what Harbor's registry image runs) with the config.yml and htpasswd the program renders for
 * the node, its storage moved to `registry.storage` (one directory for every node, as the CephFS
 * mount is) and its listener to a free port; the core's REGISTRY_URL points there, and its own
 * URLs (CORE_URL, CORE_LOCAL_URL, TOKEN_SERVICE_URL) to its port. Nothing else changes.
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
    const core = rendered.find((c) => c.component === "core")!;

    const root = scratchDir(`core-${release.version}`);
    fs.symlinkSync(path.resolve(release.migrations), path.join(root, "migrations"));
    const moved: Record<string, string> = {};
    for (const f of core.files) {
        const to = path.join(root, f.path);
        fs.mkdirSync(path.dirname(to), { recursive: true });
        fs.writeFileSync(to, f.path.endsWith("app.conf") ? f.content.replace(/^httpport = \d+$/m, `httpport = ${port}`) : f.content, { mode: 0o600 });
        moved[f.path] = to;
    }
    const env: NodeJS.ProcessEnv = {
        PATH: process.env.PATH,
        ...core.env,
        CONFIG_PATH: moved["/etc/core/app.conf"],
        KEY_PATH: moved["/etc/core/key"],
        TOKEN_PRIVATE_KEY_PATH: moved["/etc/core/private_key.pem"],
    };

    let registry: ChildProcess | undefined;
    let jobsPorts: { jobservice: number; registryctl: number } | undefined;
    if (options.registry) {
        const spec = rendered.find((c) => c.component === "registry")!;
        const regPort = await freePort();
        const passwd = path.join(root, "registry-passwd");
        fs.writeFileSync(passwd, spec.files.find((f) => f.path === "/etc/registry/passwd")!.content, { mode: 0o600 });
        const config = YAML.parse(spec.files.find((f) => f.path === "/etc/registry/config.yml")!.content);
        config.storage.filesystem.rootdirectory = options.registry.storage;
        config.http.addr = `127.0.0.1:${regPort}`;
        delete config.http.debug;
        config.auth.htpasswd.path = passwd;
        const file = path.join(root, "registry.yml");
        fs.writeFileSync(file, YAML.stringify(config), { mode: 0o600 });
        registry = spawn(tool("docker-registry", "tools"), ["serve", file], { stdio: "ignore" });
        await waitFor("docker-registry answers", async () => {
            const status = (await request(regPort, "GET", "/", {})).status;
            if (status !== 200) throw new Error(`GET / -> ${status}`);
        }, 20_000);
        Object.assign(env, {
            REGISTRY_URL: `http://127.0.0.1:${regPort}`,
            CORE_URL: `http://127.0.0.1:${port}`,
            CORE_LOCAL_URL: `http://127.0.0.1:${port}`,
            TOKEN_SERVICE_URL: `http://127.0.0.1:${port}/service/token`,
        });
    }

    const helpers: ChildProcess[] = [];
    let afterServe: (() => void) | undefined;
    const helperLogs: Record<string, string> = {};
    if (options.registry && options.jobs) {
        // registryctl (for GC) and jobservice, from their rendered files and env, on free ports.
        const ctlPort = await freePort();
        const jobPort = await freePort();
        const ctl = rendered.find((c) => c.component === "registryctl")!;
        const ctlConfig = YAML.parse(ctl.files.find((f) => f.path === "/etc/registryctl/config.yml")!.content);
        ctlConfig.port = ctlPort;
        ctlConfig.registry_config = path.join(root, "registry.yml");
        fs.writeFileSync(path.join(root, "registryctl.yml"), YAML.stringify(ctlConfig), { mode: 0o600 });
        const job = rendered.find((c) => c.component === "jobservice")!;
        const jobConfig = YAML.parse(job.files.find((f) => f.path === "/etc/jobservice/config.yml")!.content);
        jobConfig.port = jobPort;
        fs.writeFileSync(path.join(root, "jobservice.yml"), YAML.stringify(jobConfig), { mode: 0o600 });
        const start = (name: string, binary: string, args: string[], extra: NodeJS.ProcessEnv) => {
            const p = spawn(binary, args, { cwd: root, env: { PATH: process.env.PATH, ...extra } });
            helperLogs[name] = "";
            p.stdout.on("data", (d) => (helperLogs[name] += d));
            p.stderr.on("data", (d) => (helperLogs[name] += d));
            helpers.push(p);
        };
        const jobs = options.jobs;
        start("registryctl", jobs.registryctl, ["-c", path.join(root, "registryctl.yml")], ctl.env);
        // jobservice reads its settings from core at start and exits if core does not answer
        // (jobservice/main.go); Docker restarts it, the program starts it after core is healthy.
        afterServe = () => start("jobservice", jobs.jobservice, ["-c", path.join(root, "jobservice.yml")], {
            ...job.env, CORE_URL: `http://127.0.0.1:${port}`, REGISTRY_URL: env.REGISTRY_URL, REGISTRY_CONTROLLER_URL: `http://127.0.0.1:${ctlPort}`,
        });
        Object.assign(env, { JOBSERVICE_URL: `http://127.0.0.1:${jobPort}`, REGISTRY_CONTROLLER_URL: `http://127.0.0.1:${ctlPort}` });
        jobsPorts = { jobservice: jobPort, registryctl: ctlPort };
    }

    let server: ChildProcess | undefined;
    let serverLog = "";
    const halt = async () => {
        if (server && server.exitCode === null) {
            const exited = new Promise((r) => server!.once("exit", r));
            server.kill("SIGTERM");
            await exited;
        }
        serverLog = "";
    };
    return {
        release,
        port,
        clusterFlags: coreFlags(core.entrypoint),
        jobs: jobsPorts,
        helperLog: (name: string) => helperLogs[name] ?? "",
        run: (args, limitMs) =>
            new Promise((resolve) => {
                const t = Date.now();
                const p = spawn(release.binary, args, { cwd: root, env });
                let log = "";
                p.stdout.on("data", (d) => (log += d));
                p.stderr.on("data", (d) => (log += d));
                const timer = setTimeout(() => p.kill("SIGKILL"), limitMs);
                p.on("exit", (code, signal) => {
                    clearTimeout(timer);
                    resolve({ code, ms: Date.now() - t, log, killed: signal === "SIGKILL" });
                });
            }),
        async serve(args) {
            const t = Date.now();
            server = spawn(release.binary, args, { cwd: root, env });
            server.stdout!.on("data", (d) => (serverLog += d));
            server.stderr!.on("data", (d) => (serverLog += d));
            await waitFor(`harbor_core ${release.version} answers /api/v2.0/ping`, async () => {
                if (server!.exitCode !== null) throw new Error(`exited ${server!.exitCode}: ${serverLog.slice(-500)}`);
                if ((await request(port, "GET", "/api/v2.0/ping", {})).status !== 200) throw new Error("ping not 200 yet");
            }, 60_000);
            afterServe?.();
            afterServe = undefined;
            return Date.now() - t;
        },
        log: () => serverLog,
        halt,
        async stop() {
            await halt();
            registry?.kill("SIGTERM");
            for (const h of helpers) h.kill("SIGTERM");
            removeScratchDir(root);
        },
    };
}
