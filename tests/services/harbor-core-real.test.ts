/**
 * L3 with a real Harbor core: the upgrade's one migrator, the cores' skip-migrate, and the
 * read-only window (the program's own client and watchdog), against a real `harbor_core`
 * process on real PostgreSQL and Redis, started with the core env and files the program renders.
 *
 * Runs when HARBOR_HA_HARBOR_CORE names a harbor_core binary and HARBOR_HA_HARBOR_MIGRATIONS the
 * migrations directory of the same release (`make/migrations` of its tag, holding postgresql/);
 * HARBOR_HA_HARBOR_VERSION says which release they are (default v2.15.2). Nothing here builds
 * them, and no container registry is reachable for Harbor's images, so elsewhere the suite is
 * pending with that reason. The core runs on this host, not in its image: the paths of its
 * files are moved to a scratch directory through the env keys Harbor reads them from
 * (CONFIG_PATH, KEY_PATH, TOKEN_PRIVATE_KEY_PATH), and its port through app.conf.
 *
 * The answers the stand-in for core's read-only switch replays (tests/fixtures/harbor-core)
 * were captured from this test's run; each case here checks the real core still gives them.
 */
import * as assert from "assert";
import { ChildProcess, spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { loadClusterSpec } from "../../components/config/load";
import { ensureDatabase } from "../../components/database/provision";
import { placeholderShared, renderNode } from "../../components/harbor-node";
import type { ContainerSpec } from "../../components/profiles/types";
import { harborRedisValues } from "../../components/redis/harbor-values";
import { readOnlyState, setReadOnly } from "../../components/upgrade/config-api";
import { liftWindow, openWindow } from "../../components/upgrade/read-only";
import { prodConfig, raw, SECRET_VALUES } from "../support/fixtures";
import { CAPTURED_CORE_ANSWERS } from "../support/harbor-core-answers";
import { adminOf } from "../support/services/database-cases";
import { freePort } from "../support/services/network";
import { PostgresInstance, startPostgres } from "../support/services/postgres";
import { RedisInstance, startRedis } from "../support/services/redis";
import { waitFor } from "../support/services/processes";
import { rawQuery } from "../support/services/sql-access";

const BINARY = process.env.HARBOR_HA_HARBOR_CORE;
const MIGRATIONS = process.env.HARBOR_HA_HARBOR_MIGRATIONS;
const VERSION = process.env.HARBOR_HA_HARBOR_VERSION ?? "v2.15.2";

interface Answer {
    status: number;
    body: string;
}

function request(port: number, method: string, url: string, headers: Record<string, string>, body?: unknown): Promise<Answer> {
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

const basic = (user: string, password: string) => ({ Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}` });

/** The highest migration the release ships (golang-migrate names them NNNN_<release>_schema.up.sql). */
function lastMigration(dir: string): number {
    return Math.max(...fs.readdirSync(path.join(dir, "postgresql")).map((f) => Number(/^(\d+)_.*\.up\.sql$/.exec(f)?.[1] ?? 0)));
}

describe(`L3 real harbor_core ${VERSION}: one migrator, skip-migrate, the read-only window`, function () {
    this.timeout(180_000);
    let pg: PostgresInstance;
    let redis: RedisInstance;
    let core: ContainerSpec;
    let root: string;
    let env: NodeJS.ProcessEnv;
    let port: number;
    let server: ChildProcess | undefined;
    let serverLog = "";
    const jobserviceSecret = crypto.randomBytes(12).toString("hex");
    const adminPassword = `Adm1n-${crypto.randomBytes(6).toString("hex")}`;
    const dbPassword = `db-${crypto.randomBytes(9).toString("base64url")}`;
    const api = () => ({ address: `127.0.0.1:${port}`, hostname: "harbor.example.com", tls: false });

    const schema = async () => {
        const rows = await rawQuery(pg.server, { user: "harbor", password: dbPassword, database: "registry" }, "SELECT to_regclass('public.schema_migrations') AS t");
        if (rows[0].t === null) return undefined;
        return (await rawQuery(pg.server, { user: "harbor", password: dbPassword, database: "registry" }, "SELECT version, dirty FROM schema_migrations"))[0] as { version: string; dirty: boolean };
    };

    /** Runs the binary with `args`, the rendered env and cwd holding migrations/; resolves on exit or after `limitMs` (then killed). */
    const run = (args: string[], limitMs: number) =>
        new Promise<{ code: number | null; ms: number; log: string; killed: boolean }>((resolve) => {
            const t = Date.now();
            const p = spawn(BINARY!, args, { cwd: root, env });
            let log = "";
            p.stdout.on("data", (d) => (log += d));
            p.stderr.on("data", (d) => (log += d));
            const timer = setTimeout(() => p.kill("SIGKILL"), limitMs);
            p.on("exit", (code, signal) => {
                clearTimeout(timer);
                resolve({ code, ms: Date.now() - t, log, killed: signal === "SIGKILL" });
            });
        });

    before(async function () {
        if (!BINARY || !MIGRATIONS) {
            console.log("      [real core] pending: set HARBOR_HA_HARBOR_CORE (a harbor_core binary) and HARBOR_HA_HARBOR_MIGRATIONS (its release's make/migrations); none is built or downloadable here");
            this.skip();
        }
        pg = await startPostgres();
        redis = await startRedis(SECRET_VALUES.redisPassword);
        await ensureDatabase(adminOf(pg), { database: "registry", user: "harbor" }, dbPassword);
        port = await freePort();

        const spec = loadClusterSpec(
            raw(prodConfig(2, {
                harbor: { hostname: "harbor.example.com", version: VERSION, trivy: false },
                database: { host: "127.0.0.1", port: pg.server.port, provision: { enabled: true, adminUser: pg.adminUser } },
                redis: { host: "127.0.0.1", port: redis.server.port },
            })),
        );
        const { privateKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
        const shared = {
            ...placeholderShared(spec, false),
            secretKey: crypto.randomBytes(8).toString("hex"),
            csrfKey: crypto.randomBytes(16).toString("hex"),
            coreSecret: crypto.randomBytes(12).toString("hex"),
            jobserviceSecret,
            adminPassword,
            databasePassword: dbPassword,
            tokenPrivateKey: privateKey.export({ type: "pkcs1", format: "pem" }).toString(),
            redis: harborRedisValues(spec.redis.endpoint, SECRET_VALUES.redisPassword),
        };
        core = renderNode(spec, spec.nodes[0], shared, "test").find((c) => c.component === "core")!;

        root = fs.mkdtempSync(path.join(os.tmpdir(), "hha-core-"));
        fs.symlinkSync(path.resolve(MIGRATIONS), path.join(root, "migrations"));
        const moved: Record<string, string> = {};
        for (const f of core.files) {
            const to = path.join(root, f.path);
            fs.mkdirSync(path.dirname(to), { recursive: true });
            fs.writeFileSync(to, f.path.endsWith("app.conf") ? f.content.replace(/^httpport = \d+$/m, `httpport = ${port}`) : f.content, { mode: 0o600 });
            moved[f.path] = to;
        }
        env = {
            PATH: process.env.PATH,
            ...core.env,
            CONFIG_PATH: moved["/etc/core/app.conf"],
            KEY_PATH: moved["/etc/core/key"],
            TOKEN_PRIVATE_KEY_PATH: moved["/etc/core/private_key.pem"],
        };
        for (const [k, v] of Object.entries(env)) if (typeof v === "string" && v.startsWith("/etc/core/") && !moved[v]) delete env[k];
    });

    after(async () => {
        server?.kill("SIGTERM");
        if (redis) await redis.stop();
        if (pg) await pg.stop();
        if (root) fs.rmSync(root, { recursive: true, force: true });
    });

    it("a core started with the program's -mode=skip-migrate does not touch the schema of an empty database", async () => {
        const r = await run(["-mode=skip-migrate"], 20_000);
        console.log(`      [real core] skip-migrate on an empty database: ${r.killed ? "still running after 20 s (killed)" : `exit ${r.code} after ${r.ms} ms`}`);
        assert.match(r.log, /skip the database migrate/);
        // What an operator sees when cores start before the migrator: exit 1, this line.
        assert.strictEqual(r.code, 1);
        assert.match(r.log, /failed to load config: ERROR: relation "properties" does not exist/);
        assert.strictEqual(await schema(), undefined, "no schema_migrations table: the core did not migrate");
    });

    it("the one-shot migrator (-mode=migrate) creates the whole schema, clean, and exits 0; run again it changes nothing", async () => {
        const first = await run(["-mode=migrate"], 120_000);
        console.log(`      [real core] -mode=migrate on an empty database: exit ${first.code} after ${first.ms} ms`);
        assert.strictEqual(first.code, 0, first.log.slice(-2000));
        assert.match(first.log, /the database migrate success/);
        assert.deepStrictEqual(await schema(), { version: String(lastMigration(MIGRATIONS!)), dirty: false });
        const again = await run(["-mode=migrate"], 60_000);
        console.log(`      [real core] -mode=migrate again: exit ${again.code} after ${again.ms} ms`);
        assert.strictEqual(again.code, 0, again.log.slice(-2000));
        assert.deepStrictEqual(await schema(), { version: String(lastMigration(MIGRATIONS!)), dirty: false });
    });

    it("a core with -mode=skip-migrate serves on the migrated schema", async () => {
        const t = Date.now();
        server = spawn(BINARY!, ["-mode=skip-migrate"], { cwd: root, env });
        server.stdout!.on("data", (d) => (serverLog += d));
        server.stderr!.on("data", (d) => (serverLog += d));
        await waitFor("core answers /api/v2.0/ping", async () => {
            if ((await request(port, "GET", "/api/v2.0/ping", {})).status !== 200) throw new Error("ping not 200 yet");
        }, 60_000);
        console.log(`      [real core] skip-migrate core answering after ${Date.now() - t} ms`);
        assert.match(serverLog, /skip the database migrate/);
        assert.doesNotMatch(serverLog, /database has been migrated/);
    });

    it("the stack's jobservice secret reads and switches read_only; in read-only a write gets Harbor's 403 DENIED, a read still works", async () => {
        assert.strictEqual(await readOnlyState(api(), jobserviceSecret), false);
        const got = await request(port, "GET", "/api/v2.0/internalconfig", { Authorization: `Harbor-Secret ${jobserviceSecret}` });
        assert.strictEqual(got.status, 200);
        assert.deepStrictEqual(JSON.parse(got.body).read_only, CAPTURED_CORE_ANSWERS.internalconfigReadOnly(false));

        const put = await request(port, "PUT", "/api/v2.0/configurations", { Authorization: `Harbor-Secret ${jobserviceSecret}` }, { read_only: true });
        assert.deepStrictEqual({ status: put.status, body: put.body }, CAPTURED_CORE_ANSWERS.putConfigurations);
        assert.strictEqual(await readOnlyState(api(), jobserviceSecret), true);

        try {
            const write = await request(port, "POST", "/api/v2.0/projects", basic("admin", adminPassword), { project_name: "during-window", metadata: { public: "false" } });
            assert.deepStrictEqual(write, CAPTURED_CORE_ANSWERS.readOnlyWrite);
            const read = await request(port, "GET", "/api/v2.0/projects", basic("admin", adminPassword));
            assert.strictEqual(read.status, 200, "reads keep working in the window");
        } finally {
            await setReadOnly(api(), jobserviceSecret, false);
        }
        const after = await request(port, "POST", "/api/v2.0/projects", basic("admin", adminPassword), { project_name: "after-window", metadata: { public: "false" } });
        assert.strictEqual(after.status, 201, after.body);
    });

    it("a wrong secret is refused with the answer the stand-in replays, and the program's error names the secret, not its value", async () => {
        const wrong = "not-the-jobservice-secret";
        const get = await request(port, "GET", "/api/v2.0/internalconfig", { Authorization: `Harbor-Secret ${wrong}` });
        assert.deepStrictEqual(get, CAPTURED_CORE_ANSWERS.wrongSecretInternalconfig);
        const put = await request(port, "PUT", "/api/v2.0/configurations", { Authorization: `Harbor-Secret ${wrong}` }, { read_only: true });
        assert.deepStrictEqual(put, CAPTURED_CORE_ANSWERS.wrongSecretPut);
        await assert.rejects(readOnlyState(api(), wrong), (e: Error) => /refused the stack's jobservice secret/.test(e.message) && !e.message.includes(wrong));
        assert.strictEqual(await readOnlyState(api(), jobserviceSecret), false, "nothing was switched");
    });

    it("after the admin changed its password in the UI, the secret still opens and lifts the window", async () => {
        const changed = await request(port, "PUT", "/api/v2.0/users/1/password", basic("admin", adminPassword), { old_password: adminPassword, new_password: `${adminPassword}-Changed9` });
        assert.strictEqual(changed.status, 200, changed.body);
        await setReadOnly(api(), jobserviceSecret, true);
        assert.strictEqual(await readOnlyState(api(), jobserviceSecret), true);
        await setReadOnly(api(), jobserviceSecret, false);
        assert.strictEqual(await readOnlyState(api(), jobserviceSecret), false);
    });

    it("the program's window and watchdog: a provider that dies with the window open leaves Harbor read-write again", async () => {
        const provider = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"]);
        const props = { api: api(), secret: jobserviceSecret, kind: "upgrade" as const, enabled: true, to: VERSION };
        const window = await openWindow(props, { pid: provider.pid!, pollMs: 50, retryForMs: 10_000 });
        assert.strictEqual(await readOnlyState(api(), jobserviceSecret), true);
        const t = Date.now();
        provider.kill("SIGKILL");
        await waitFor("watchdog lifted the window", async () => {
            if (await readOnlyState(api(), jobserviceSecret)) throw new Error("still read-only");
        }, 10_000);
        console.log(`      [real core] watchdog lifted read-only ${Date.now() - t} ms after the provider died`);
        assert.doesNotMatch(fs.readFileSync(window.watchdogLog, "utf8"), new RegExp(jobserviceSecret));
        assert.strictEqual(await liftWindow(api(), jobserviceSecret, window), "");
        assert.strictEqual(await readOnlyState(api(), jobserviceSecret), false);
    });
});
