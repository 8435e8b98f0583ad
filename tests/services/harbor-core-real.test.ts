/**
 * L3 with real Harbor cores (tests/support/services/harbor-core.ts): the upgrade's one migrator,
 * the cores' skip-migrate and the read-only window (the program's own client and watchdog)
 * against real `harbor_core` processes on real PostgreSQL and Redis, each started with the core
 * env and files the program renders for its release; a version change in the program's order
 * (backup, window, one migrator, new core, lift) from an older real core to a newer one, and
 * the README's rollback; the program's canary across two real nodes (core + registry on one
 * store) and against two broken ones; a garbage collection through core, jobservice and
 * registryctl. Registries are Debian's docker-registry (distribution 2.8) with the rendered
 * config.yml; only addresses, ports and file paths are moved to this host.
 *
 * Runs when the environment names the binaries (HARBOR_HA_HARBOR_CORE and _MIGRATIONS, for the
 * upgrade also HARBOR_HA_HARBOR_CORE_FROM, _MIGRATIONS_FROM, _VERSION_FROM, for the garbage
 * collection HARBOR_HA_HARBOR_JOBSERVICE and _REGISTRYCTL); nothing in this
 * project builds them and no registry serves Harbor's images here, so elsewhere it is pending
 * with that reason.
 *
 * The stand-in for core's read-only switch (harbor-config-standin.ts, the lab's node stand-in)
 * replays the answers captured from this file's run (tests/support/harbor-core-answers.ts);
 * the cases here check that the real core still gives exactly them.
 */
import * as assert from "assert";
import { spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ensureDatabase } from "../../components/database/provision";
import { readOnlyState, setReadOnly } from "../../components/upgrade/config-api";
import { takeBackup } from "../../components/upgrade/backup";
import { liftWindow, openWindow } from "../../components/upgrade/read-only";
import { isCanaryFailure, runCanary } from "../../components/verify/canary";
import { canaryRobotProvider } from "../../components/verify/canary-resources";
import { isRegistryError, pull, push, tinyImage, token } from "../../components/verify/registry-client";
import { SECRET_VALUES } from "../support/fixtures";
import { CAPTURED_CORE_ANSWERS } from "../support/harbor-core-answers";
import { adminOf } from "../support/services/database-cases";
import { coreEntrypoint } from "../../components/profiles/v2/core";
import { basicAuth, coreFlags, lastMigration, prepareCore, RealCore, realCores, request, stackSecrets, StackSecrets } from "../support/services/harbor-core";
import { PostgresInstance, startPostgres } from "../support/services/postgres";
import { runClient, waitFor } from "../support/services/processes";
import { RedisInstance, startRedis } from "../support/services/redis";
import { rawQuery } from "../support/services/sql-access";

const RELEASES = realCores();
/** The one-shot migrator's flags, as the program's migrator container runs it. */
const MIGRATOR = coreFlags(coreEntrypoint("migrate"));
const PENDING = "set HARBOR_HA_HARBOR_CORE (a harbor_core binary) and HARBOR_HA_HARBOR_MIGRATIONS (its release's make/migrations); this project builds none and no registry serves Harbor's images here";

const api = (core: RealCore) => ({ address: `127.0.0.1:${core.port}`, hostname: "harbor.example.com", tls: false });
const solution = (secret: string) => ({ Authorization: `Harbor-Secret ${secret}` });

/** A scratch PostgreSQL with Harbor's database and user, and a Redis, as the stack's shared services. */
function sharedServices() {
    const s = { pg: undefined as unknown as PostgresInstance, redis: undefined as unknown as RedisInstance, secrets: undefined as unknown as StackSecrets };
    const schema = async () => {
        const login = { user: "harbor", password: s.secrets.databasePassword, database: "registry" };
        if ((await rawQuery(s.pg.server, login, "SELECT to_regclass('public.schema_migrations') AS t"))[0].t === null) return undefined;
        return (await rawQuery(s.pg.server, login, "SELECT version, dirty FROM schema_migrations"))[0] as { version: string; dirty: boolean };
    };
    const start = async () => {
        s.pg = await startPostgres();
        s.redis = await startRedis(SECRET_VALUES.redisPassword);
        s.secrets = stackSecrets(`db-${Date.now().toString(36)}-pw`);
        await ensureDatabase(adminOf(s.pg), { database: "registry", user: "harbor" }, s.secrets.databasePassword);
    };
    const stop = async () => {
        if (s.redis) await s.redis.stop();
        if (s.pg) await s.pg.stop();
    };
    return { s, schema, start, stop };
}

describe(`L3 real harbor_core ${RELEASES.to?.version ?? ""}: one migrator, skip-migrate, the read-only window`, function () {
    this.timeout(180_000);
    const svc = sharedServices();
    let core: RealCore;
    const secret = () => svc.s.secrets.jobserviceSecret;
    const admin = () => basicAuth("admin", svc.s.secrets.adminPassword);

    before(async function () {
        if (!RELEASES.to) {
            console.log(`      [real core] pending: ${PENDING}`);
            return this.skip();
        }
        await svc.start();
        core = await prepareCore(RELEASES.to, svc.s.pg, svc.s.redis, svc.s.secrets);
    });
    after(async () => {
        if (core) await core.stop();
        await svc.stop();
    });

    it("a core started with the program's -mode=skip-migrate leaves an empty database alone, and says why it stops", async () => {
        const r = await core.run(core.clusterFlags, 20_000);
        console.log(`      [real core] skip-migrate on an empty database: ${r.killed ? "still running after 20 s (killed)" : `exit ${r.code} after ${r.ms} ms`}`);
        assert.match(r.log, /skip the database migrate/);
        // What an operator sees when cores start before the migrator: exit 1, this line.
        assert.strictEqual(r.code, 1);
        assert.match(r.log, /failed to load config: ERROR: relation "properties" does not exist/);
        assert.strictEqual(await svc.schema(), undefined, "no schema_migrations table: the core did not migrate");
    });

    it("the one-shot migrator (-mode=migrate) creates the whole schema, clean, and exits 0; run again it changes nothing", async () => {
        const want = { version: String(lastMigration(core.release.migrations)), dirty: false };
        const first = await core.run(MIGRATOR, 120_000);
        console.log(`      [real core] -mode=migrate on an empty database: exit ${first.code} after ${first.ms} ms, schema ${want.version}`);
        assert.strictEqual(first.code, 0, first.log.slice(-2000));
        assert.match(first.log, /the database migrate success/);
        assert.deepStrictEqual(await svc.schema(), want);
        const again = await core.run(MIGRATOR, 60_000);
        console.log(`      [real core] -mode=migrate again: exit ${again.code} after ${again.ms} ms`);
        assert.strictEqual(again.code, 0, again.log.slice(-2000));
        assert.deepStrictEqual(await svc.schema(), want);
    });

    it("a core with -mode=skip-migrate serves on the migrated schema", async () => {
        const ms = await core.serve(core.clusterFlags);
        console.log(`      [real core] skip-migrate core answering after ${ms} ms`);
        assert.match(core.log(), /skip the database migrate/);
        assert.doesNotMatch(core.log(), /database has been migrated/);
    });

    it("the stack's jobservice secret reads and switches read_only; in read-only a write gets Harbor's 403 DENIED, a read still works", async () => {
        assert.strictEqual(await readOnlyState(api(core), secret()), false);
        const got = await request(core.port, "GET", "/api/v2.0/internalconfig", solution(secret()));
        assert.strictEqual(got.status, 200);
        assert.deepStrictEqual(JSON.parse(got.body).read_only, CAPTURED_CORE_ANSWERS.internalconfigReadOnly(false));

        const put = await request(core.port, "PUT", "/api/v2.0/configurations", solution(secret()), { read_only: true });
        assert.deepStrictEqual(put, CAPTURED_CORE_ANSWERS.putConfigurations);
        try {
            assert.strictEqual(await readOnlyState(api(core), secret()), true);
            const write = await request(core.port, "POST", "/api/v2.0/projects", admin(), { project_name: "during-window", metadata: { public: "false" } });
            assert.deepStrictEqual(write, CAPTURED_CORE_ANSWERS.readOnlyWrite);
            assert.strictEqual((await request(core.port, "GET", "/api/v2.0/projects", admin())).status, 200, "reads keep working in the window");
        } finally {
            await setReadOnly(api(core), secret(), false);
        }
        const after = await request(core.port, "POST", "/api/v2.0/projects", admin(), { project_name: "after-window", metadata: { public: "false" } });
        assert.strictEqual(after.status, 201, after.body);
    });

    it("a wrong secret is refused with the answers the stand-in replays, and the program's error names the secret, not its value", async () => {
        const wrong = "not-the-jobservice-secret";
        assert.deepStrictEqual(await request(core.port, "GET", "/api/v2.0/internalconfig", solution(wrong)), CAPTURED_CORE_ANSWERS.wrongSecretInternalconfig);
        assert.deepStrictEqual(await request(core.port, "PUT", "/api/v2.0/configurations", solution(wrong), { read_only: true }), CAPTURED_CORE_ANSWERS.wrongSecretPut);
        await assert.rejects(readOnlyState(api(core), wrong), (e: Error) => /refused the stack's jobservice secret/.test(e.message) && !e.message.includes(wrong));
        assert.strictEqual(await readOnlyState(api(core), secret()), false, "nothing was switched");
    });

    it("after the admin changed its password in the UI, the secret still opens and lifts the window", async () => {
        const pw = svc.s.secrets.adminPassword;
        const changed = await request(core.port, "PUT", "/api/v2.0/users/1/password", admin(), { old_password: pw, new_password: `${pw}-Changed9` });
        assert.strictEqual(changed.status, 200, changed.body);
        await setReadOnly(api(core), secret(), true);
        assert.strictEqual(await readOnlyState(api(core), secret()), true);
        await setReadOnly(api(core), secret(), false);
        assert.strictEqual(await readOnlyState(api(core), secret()), false);
    });

    it("the program's window and watchdog: a provider that dies with the window open leaves Harbor read-write again", async () => {
        const provider = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"]);
        const window = await openWindow({ api: api(core), secret: secret(), kind: "upgrade", enabled: true, to: core.release.version }, { pid: provider.pid!, pollMs: 50, retryForMs: 10_000 });
        assert.strictEqual(await readOnlyState(api(core), secret()), true);
        const t = Date.now();
        provider.kill("SIGKILL");
        await waitFor("watchdog lifted the window", async () => {
            if (await readOnlyState(api(core), secret())) throw new Error("still read-only");
        }, 10_000, undefined, 20);
        console.log(`      [real core] watchdog lifted read-only ${Date.now() - t} ms after the provider died`);
        assert.doesNotMatch(fs.readFileSync(window.watchdogLog, "utf8"), new RegExp(secret()));
        assert.strictEqual(await liftWindow(api(core), secret(), window), "");
        assert.strictEqual(await readOnlyState(api(core), secret()), false);
    });
});

describe(`L3 real harbor_core ${RELEASES.from?.version ?? "(from)"} -> ${RELEASES.to?.version ?? "(to)"}: a version change in the program's order`, function () {
    this.timeout(300_000);
    const svc = sharedServices();
    let old: RealCore;
    let next: RealCore;
    let dump = "";
    const backups = fs.mkdtempSync(path.join(os.tmpdir(), "hha-real-upgrade-"));
    const secret = () => svc.s.secrets.jobserviceSecret;
    const admin = () => basicAuth("admin", svc.s.secrets.adminPassword);

    before(async function () {
        if (!RELEASES.to || !RELEASES.from) {
            console.log(`      [real core] pending: ${PENDING}; for the upgrade also HARBOR_HA_HARBOR_CORE_FROM, HARBOR_HA_HARBOR_MIGRATIONS_FROM and HARBOR_HA_HARBOR_VERSION_FROM (an older release)`);
            return this.skip();
        }
        await svc.start();
        old = await prepareCore(RELEASES.from, svc.s.pg, svc.s.redis, svc.s.secrets);
        next = await prepareCore(RELEASES.to, svc.s.pg, svc.s.redis, svc.s.secrets);
        // The stack as it ran before the change: installed by the old release's one migrator.
        const install = await old.run(MIGRATOR, 120_000);
        assert.strictEqual(install.code, 0, install.log.slice(-2000));
        await old.serve(old.clusterFlags);
        for (const p of ["before-upgrade-a", "before-upgrade-b"])
            assert.strictEqual((await request(old.port, "POST", "/api/v2.0/projects", admin(), { project_name: p, metadata: { public: "true" } })).status, 201);
    });
    after(async () => {
        if (old) await old.stop();
        if (next) await next.stop();
        await svc.stop();
        fs.rmSync(backups, { recursive: true, force: true });
    });

    it("backup, window on the old core, the new release's one migrator while the old core serves reads, new core, lift: data kept, schema clean", async () => {
        const from = { version: String(lastMigration(old.release.migrations)), dirty: false };
        const to = { version: String(lastMigration(next.release.migrations)), dirty: false };
        assert.deepStrictEqual(await svc.schema(), from);

        // The program's order (upgrade/index.ts): 1 backup, 2 read-only, 3 migrate, waves, 9 lift.
        const backup = await takeBackup({
            server: svc.s.pg.server, target: { database: "registry", user: "harbor" }, password: svc.s.secrets.databasePassword,
            directory: backups, stack: "test", kind: "upgrade", from: old.release.version, to: next.release.version, enabled: true,
        });
        assert.ok(backup.bytes > 0 && /^[0-9a-f]{64}$/.test(backup.sha256), "a dump with its checksum");
        dump = backup.path;
        const provider = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"]);
        try {
            const window = await openWindow({ api: api(old), secret: secret(), kind: "upgrade", enabled: true, to: next.release.version }, { pid: provider.pid!, pollMs: 50, retryForMs: 10_000 });
            const refused = await request(old.port, "POST", "/api/v2.0/projects", admin(), { project_name: "during-upgrade", metadata: { public: "true" } });
            assert.deepStrictEqual(refused, CAPTURED_CORE_ANSWERS.readOnlyWrite, "the old release refuses writes the same way");

            const migrate = await next.run(MIGRATOR, 120_000);
            console.log(`      [real core] ${old.release.version} -> ${next.release.version}: -mode=migrate exit ${migrate.code} after ${migrate.ms} ms (schema ${from.version} -> ${to.version}), dump ${backup.bytes} bytes`);
            assert.strictEqual(migrate.code, 0, migrate.log.slice(-2000));
            assert.deepStrictEqual(await svc.schema(), to);

            // Wave 1: the old core still serves (read-only) on the new schema until it is replaced.
            const oldOnNew = await request(old.port, "GET", "/api/v2.0/projects?page_size=50", admin());
            console.log(`      [real core] old ${old.release.version} core on the ${to.version} schema: GET /projects -> ${oldOnNew.status}`);
            assert.strictEqual(oldOnNew.status, 200);

            const ms = await next.serve(next.clusterFlags);
            console.log(`      [real core] new ${next.release.version} core answering after ${ms} ms`);
            await old.halt();
            assert.strictEqual(await readOnlyState(api(next), secret()), true, "the window holds across the version change (the setting is in the shared database)");
            assert.strictEqual(await liftWindow(api(next), secret(), window), "");
        } finally {
            provider.kill("SIGKILL");
        }
        const names = (JSON.parse((await request(next.port, "GET", "/api/v2.0/projects?page_size=50", admin())).body) as { name: string }[]).map((p) => p.name).sort();
        assert.deepStrictEqual(names.filter((n) => n.startsWith("before-")), ["before-upgrade-a", "before-upgrade-b"]);
        assert.ok(!names.includes("during-upgrade"));
        assert.strictEqual((await request(next.port, "POST", "/api/v2.0/projects", admin(), { project_name: "after-upgrade", metadata: { public: "true" } })).status, 201);
        assert.deepStrictEqual(await svc.schema(), to);
    });

    it("rolling back as the README says: the old migrator refuses the newer schema; after pg_restore of the dump it finds its own, and the old core serves the data from before", async function () {
        if (!dump) return this.skip();
        await next.halt();
        const refused = await old.run(MIGRATOR, 60_000);
        const line = refused.log.split("\n").find((l) => /FATAL/.test(l)) ?? "";
        console.log(`      [real core] ${old.release.version} migrator on the ${next.release.version} schema, no restore: exit ${refused.code}: ${line.replace(/^.*\]: /, "")}`);
        assert.strictEqual(refused.code, 1);
        assert.match(line, /failed to migrate the database/);

        const t = Date.now();
        await runClient(path.join(svc.s.pg.binDir, "pg_restore"), ["--clean", "--if-exists", "--no-owner", "-d", "registry", dump], {
            PGHOST: svc.s.pg.server.host, PGPORT: String(svc.s.pg.server.port), PGUSER: "harbor", PGPASSWORD: svc.s.secrets.databasePassword,
        });
        console.log(`      [real core] pg_restore --clean --if-exists --no-owner as the Harbor user: ${Date.now() - t} ms`);
        const restored = await old.run(MIGRATOR, 60_000);
        assert.strictEqual(restored.code, 0, restored.log.slice(-2000));
        assert.deepStrictEqual(await svc.schema(), { version: String(lastMigration(old.release.migrations)), dirty: false });
        await old.serve(old.clusterFlags);
        const names = (JSON.parse((await request(old.port, "GET", "/api/v2.0/projects?page_size=50", admin())).body) as { name: string }[]).map((p) => p.name);
        assert.deepStrictEqual(names.filter((n) => /-upgrade/.test(n)).sort(), ["before-upgrade-a", "before-upgrade-b"], "the writes after the dump are gone, as the README says");
        // The dump predates the window, so it brings back read_only as it was before (off here);
        // cores read it through their config cache, which Harbor keeps for one minute
        // (pkg/config/db/cache.go), so that is when a switch made before the restore is undone.
        const stored = await rawQuery(svc.s.pg.server, { user: "harbor", password: svc.s.secrets.databasePassword, database: "registry" }, "SELECT v FROM properties WHERE k = 'read_only'");
        assert.ok(!stored.some((r) => r.v === "true"), `read_only in the restored database: ${JSON.stringify(stored)} (no row = Harbor's default, off)`);
    });
});

describe(`L3 two real harbor_core ${RELEASES.to?.version ?? ""} nodes, each with its registry on one shared store: the program's canary`, function () {
    this.timeout(300_000);
    const svc = sharedServices();
    const nodes: RealCore[] = [];
    const store = fs.mkdtempSync(path.join(os.tmpdir(), "hha-real-store-"));
    const ownStore = fs.mkdtempSync(path.join(os.tmpdir(), "hha-real-own-store-"));
    const ROBOT_SECRET = "Canary-Secret-1x";
    let robot = { name: "", secret: "" };
    const plan = (pullFrom: number[]) => ({ pushTo: node(0), pullFrom: pullFrom.map(node), robot, project: "harbor-ha-canary", repository: "canary" });
    const node = (i: number) => ({ name: `node${i + 1}`, endpoint: api(nodes[i]) });

    before(async function () {
        if (!RELEASES.to) {
            console.log(`      [real core] pending: ${PENDING}`);
            return this.skip();
        }
        await svc.start();
        for (const i of [0, 1]) nodes.push(await prepareCore(RELEASES.to, svc.s.pg, svc.s.redis, svc.s.secrets, { node: i, registry: { storage: store } }));
        const install = await nodes[0].run(MIGRATOR, 120_000);
        assert.strictEqual(install.code, 0, install.log.slice(-2000));
        // Two broken nodes on the same database, to show the canary tells their faults apart:
        // node3 signs with another token key, node4's registry has a store of its own.
        const { privateKey } = crypto.generateKeyPairSync("rsa", { modulusLength: 2048 });
        const otherKey = { ...svc.s.secrets, shared: { ...svc.s.secrets.shared, tokenPrivateKey: privateKey.export({ type: "pkcs1", format: "pem" }).toString() } };
        nodes.push(await prepareCore(RELEASES.to, svc.s.pg, svc.s.redis, otherKey, { node: 2, registry: { storage: store } }));
        nodes.push(await prepareCore(RELEASES.to, svc.s.pg, svc.s.redis, svc.s.secrets, { node: 3, registry: { storage: ownStore } }));
        for (const n of nodes) await n.serve(n.clusterFlags);
        const r = await canaryRobotProvider.create!({ api: api(nodes[0]), adminPassword: svc.s.secrets.adminPassword, project: "harbor-ha-canary", robot: "canary", secret: ROBOT_SECRET });
        robot = { name: r.outs.robotName, secret: ROBOT_SECRET };
    });
    after(async () => {
        for (const n of nodes) await n.stop();
        await svc.stop();
        fs.rmSync(store, { recursive: true, force: true });
        fs.rmSync(ownStore, { recursive: true, force: true });
    });

    it("the stack's robot (made through node1 with the program's CanaryRobot); push to node1, pull from node2 with node1's token, delete: one registry", async () => {
        const report = await runCanary(plan([1]), `real-${Date.now()}`);
        console.log(`      [real core] canary: ${report.steps.join("; ")}`);
        assert.match(report.digest, /^sha256:[0-9a-f]{64}$/);
        assert.ok(report.steps.some((s) => s.startsWith("node2: pull with the token from node1")));
    });

    it("in the read-only window, through both nodes' /v2/: pulls keep working, a push gets Harbor's own 403 DENIED", async () => {
        const repo = "harbor-ha-canary/window";
        const img = tinyImage(`window-${Date.now()}`);
        const t1 = await token(node(0).endpoint, robot.name, robot.secret, `repository:${repo}:push,pull`);
        const digest = await push(node(0).endpoint, t1, repo, "before", img);
        await setReadOnly(api(nodes[0]), svc.s.secrets.jobserviceSecret, true);
        try {
            for (const i of [0, 1]) {
                const pulled = await pull(node(i).endpoint, t1, repo, digest);
                assert.strictEqual(pulled.digest, digest, `node${i + 1} serves the pull in the window`);
                const refused = await push(node(i).endpoint, t1, repo, `during-${i}`, tinyImage(`during-${i}-${Date.now()}`)).then(() => undefined, (e: Error) => e);
                console.log(`      [real core] node${i + 1} push in the window: ${refused?.message}`);
                assert.ok(refused && isRegistryError(refused), `node${i + 1} refused the push`);
                assert.deepStrictEqual([refused.status, refused.code, refused.step], [403, "DENIED", "blob upload start"]);
                assert.match(refused.message, /The system is in read only mode\. Any modification is prohibited\./);
            }
        } finally {
            await setReadOnly(api(nodes[0]), svc.s.secrets.jobserviceSecret, false);
        }
        await push(node(1).endpoint, t1, repo, "after", tinyImage(`after-${Date.now()}`));
    });

    it("a node signing with another token key: the canary names the key mismatch", async () => {
        const e = await runCanary(plan([2]), `real-key-${Date.now()}`).then(() => undefined, (err: Error) => err);
        console.log(`      [real core] node3 (other key): ${e?.message}`);
        assert.ok(e && isCanaryFailure(e), "the canary failed");
        assert.strictEqual(e.node, "node3");
        assert.match(e.cause, /token key mismatch: node3 does not accept a token signed by node1/);
    });

    it("a node whose registry has its own store: the canary names the storage", async () => {
        const e = await runCanary(plan([3]), `real-store-${Date.now()}`).then(() => undefined, (err: Error) => err);
        console.log(`      [real core] node4 (own store): ${e?.message}`);
        assert.ok(e && isCanaryFailure(e), "the canary failed");
        assert.strictEqual(e.node, "node4");
        assert.match(e.cause, /storage not shared: node4's registry does not see the image written through node1/);
    });
});

describe(`L3 a real harbor_core ${RELEASES.to?.version ?? ""} node with its jobservice and registryctl: a garbage collection through core, jobservice and registryctl`, function () {
    this.timeout(300_000);
    const svc = sharedServices();
    let n: RealCore;
    const store = fs.mkdtempSync(path.join(os.tmpdir(), "hha-real-gc-store-"));
    const jobservice = process.env.HARBOR_HA_HARBOR_JOBSERVICE;
    const registryctl = process.env.HARBOR_HA_HARBOR_REGISTRYCTL;
    const admin = () => basicAuth("admin", svc.s.secrets.adminPassword);

    before(async function () {
        if (!RELEASES.to || !jobservice || !registryctl) {
            console.log(`      [real core] pending: ${PENDING}; also HARBOR_HA_HARBOR_JOBSERVICE and HARBOR_HA_HARBOR_REGISTRYCTL (their binaries)`);
            return this.skip();
        }
        await svc.start();
        n = await prepareCore(RELEASES.to, svc.s.pg, svc.s.redis, svc.s.secrets, { registry: { storage: store }, jobs: { jobservice, registryctl } });
        const install = await n.run(MIGRATOR, 120_000);
        assert.strictEqual(install.code, 0, install.log.slice(-2000));
        await n.serve(n.clusterFlags);
    });
    after(async () => {
        if (n) await n.stop();
        await svc.stop();
        fs.rmSync(store, { recursive: true, force: true });
    });

    it("jobservice and registryctl answer their health checks with the rendered configs", async () => {
        await waitFor("jobservice /api/v1/stats", async () => {
            const r = await request(n.jobs!.jobservice, "GET", "/api/v1/stats", solution(svc.s.secrets.jobserviceSecret)).catch((e: Error) => ({ status: 0, body: e.message }));
            if (r.status !== 200) throw new Error(`${r.status} ${r.body} ${n.helperLog("jobservice").slice(-800)}`);
        }, 60_000);
        await waitFor("registryctl /api/health", async () => {
            const r = await request(n.jobs!.registryctl, "GET", "/api/health", {}).catch((e: Error) => ({ status: 0, body: e.message }));
            if (r.status !== 200) throw new Error(`${r.status} ${r.body} ${n.helperLog("registryctl").slice(-800)}`);
        }, 60_000);
    });

    it("a manual GC removes a deleted image's blobs from the shared store", async () => {
        const robot = await canaryRobotProvider.create!({ api: api(n), adminPassword: svc.s.secrets.adminPassword, project: "harbor-ha-canary", robot: "canary", secret: "Canary-Secret-1x" });
        const ep = api(n);
        const repo = "harbor-ha-canary/gc";
        const t = await token(ep, robot.outs.robotName, "Canary-Secret-1x", `repository:${repo}:push,pull`);
        await push(ep, t, repo, "x", tinyImage(`gc-${Date.now()}`));
        // Blob data files in the store (blobs/sha256/<2 hex>/<digest>/data).
        const blobs = () => {
            const root = path.join(store, "docker/registry/v2/blobs/sha256");
            return fs.readdirSync(root).flatMap((p) => fs.readdirSync(path.join(root, p)).filter((d) => fs.existsSync(path.join(root, p, d, "data")))).length;
        };
        const before = blobs();
        assert.strictEqual((await request(n.port, "DELETE", `/api/v2.0/projects/harbor-ha-canary/repositories/gc`, admin())).status, 200);
        // GC takes only blobs and deleted artifacts older than its time window, two hours (the
        // API passes no other, jobservice/job/impl/gc): age this test's rows by three hours.
        const login = { user: "harbor", password: svc.s.secrets.databasePassword, database: "registry" };
        await rawQuery(svc.s.pg.server, login, "UPDATE blob SET update_time = update_time - interval '3 hours', creation_time = creation_time - interval '3 hours'");
        await rawQuery(svc.s.pg.server, login, "UPDATE artifact_trash SET creation_time = creation_time - interval '3 hours'");
        const started = await request(n.port, "POST", "/api/v2.0/system/gc/schedule", admin(), { schedule: { type: "Manual" }, parameters: { delete_untagged: true, dry_run: false, workers: 1 } });
        assert.strictEqual(started.status, 201, started.body);
        const status = await waitFor("GC finished", async () => {
            const list = JSON.parse((await request(n.port, "GET", "/api/v2.0/system/gc", admin())).body) as { job_status: string }[];
            const s = list[0]?.job_status;
            if (!s || ["Pending", "Running", "Scheduled"].includes(s)) throw new Error(`GC ${s ?? "not listed"}; jobservice: ${n.helperLog("jobservice").slice(-600)}`);
            return s;
        }, 120_000);
        const after = blobs();
        const gcs = JSON.parse((await request(n.port, "GET", "/api/v2.0/system/gc", admin())).body) as { id: number }[];
        const gcLog = (await request(n.port, "GET", `/api/v2.0/system/gc/${gcs[0].id}/log`, admin())).body;
        console.log(`      [real core] GC ${status}: blobs in the shared store ${before} -> ${after}`);
        assert.strictEqual(status, "Success", n.helperLog("jobservice").slice(-2000));
        assert.ok(after < before, `the deleted image's blobs are gone; GC log: ${gcLog.slice(-3000)}`);
    });
});
