/**
 * L1 (mocks): a change of harbor.version in the dependency graph. Mocked: the engine and every
 * provider (so nothing here proves Harbor migrates; the L3 and lab tests run the steps). Real:
 * all program code, including the dynamic providers' diff functions, which decide whether a
 * step runs again on the next `up`.
 */
import * as assert from "assert";
import * as path from "path";
import { coreEntrypoint } from "../../components/profiles/v2/core";
import { databaseBackupProvider } from "../../components/upgrade/backup";
import { readOnlyLiftProvider, readOnlyWindowProvider } from "../../components/upgrade/read-only";
import { DeployedRelease } from "../../components/upgrade/plan";
import { fakeTools } from "../support/fake-tools";
import { prodConfig, raw, SECRET_VALUES, v1Config } from "../support/fixtures";
import { evaluateCluster, Evaluation, isSecret, reaches } from "../support/mock-capture";

const dyn = (t: string) => `pulumi-nodejs:dynamic/harbor-ha:${t}`;
const CMD = "command:remote:Command";
const CONTAINER = "docker:index/container:Container";
const BACKUP = `${dyn("DatabaseBackup")}::harbor-upgrade-1-backup`;
const WINDOW = `${dyn("ReadOnlyWindow")}::harbor-upgrade-2-read-only`;
const MIGRATE = `${CMD}::harbor-upgrade-3-migrate`;
const LIFT = `${dyn("ReadOnlyLift")}::harbor-upgrade-9-read-write`;
const cmd = (n: string) => `${CMD}::${n}`;

const version = (v: string) => ({ harbor: { hostname: "harbor.example.com", version: v, trivy: true } });
const ran: Record<string, Evaluation> = {};
/** One evaluation per (config, deployed) pair: the mock runtime is set up per evaluation. */
async function evaluate(label: string, config: Record<string, unknown>, deployed: DeployedRelease): Promise<Evaluation> {
    ran[label] ??= await withTool(() => evaluateCluster(raw(config), "prod", deployed));
    return ran[label];
}

/** The plan checks that pg_dump is installed when it will back up; give it one. */
async function withTool<T>(f: () => Promise<T>): Promise<T> {
    const dir = fakeTools(["pg_dump", "mysqldump"]);
    const saved = process.env.PATH;
    process.env.PATH = `${dir}${path.delimiter}${saved}`;
    try {
        return await f();
    } finally {
        process.env.PATH = saved;
    }
}

describe("L1 a Harbor version change in the graph (mocks)", function () {
    this.timeout(120000);
    let up: Evaluation;
    before(async () => {
        up = await evaluate("upgrade", prodConfig(3, version("v2.15.2")), { deployed: true, version: "v2.14.1" });
    });

    it("orders backup -> read-only -> migrate -> wave 1 -> wave 2 -> read-write -> canary", () => {
        assert.ok(reaches(up, BACKUP).has(`${dyn("DatabaseReadiness")}::harbor-database-ready`), "the backup waits for the database check");
        assert.ok(up.dependencies.get(WINDOW)!.has(BACKUP), "read-only after the backup");
        assert.ok(up.dependencies.get(MIGRATE)!.has(WINDOW), "the migrator after read-only");
        assert.ok(!reaches(up, BACKUP).has(WINDOW) && !reaches(up, WINDOW).has(MIGRATE), "and not the other way round");
        // Wave 1 is node1 alone; wave 2 is node2 and node3 together, after node1's gate.
        assert.ok(up.dependencies.get(cmd("node1-drain"))!.has(MIGRATE), "wave 1 drains after the migration");
        for (const n of ["node2", "node3"]) {
            const d = up.dependencies.get(cmd(`${n}-drain`))!;
            assert.ok(d.has(cmd("node1-gate")), `${n} drains after node1 is back`);
            assert.ok(![...d].some((x) => String(x).includes(n === "node2" ? "node3-gate" : "node2-gate")), `${n} does not wait for the other second-wave node`);
        }
        for (const c of up.byType(CONTAINER)) assert.ok(reaches(up, `${CONTAINER}::${c.name}`).has(MIGRATE), `${c.name} starts only after the migration`);
        const lift = reaches(up, LIFT);
        for (const n of ["node1", "node2", "node3"]) {
            assert.ok(lift.has(cmd(`${n}-gate`)), `read-write after ${n}'s gate`);
            assert.ok([...lift].some((x) => x.endsWith(`::${n}-lb`)), `read-write after ${n}'s balancer`);
        }
        assert.ok(up.dependencies.get(`${dyn("RegistryCanary")}::harbor-canary`)!.has(LIFT), "the canary pushes only after the window is lifted");
    });

    it("every core skips migration; the one migrator runs -mode=migrate of the new core image on node1", () => {
        const cores = up.byType(CONTAINER).filter((c) => c.name.endsWith("-harbor-core"));
        assert.strictEqual(cores.length, 3);
        for (const c of cores) assert.deepStrictEqual(c.inputs.entrypoints, coreEntrypoint("skip-migrate"), c.name);
        for (const c of up.byType(CONTAINER).filter((x) => !x.name.endsWith("-harbor-core"))) assert.strictEqual(c.inputs.entrypoints, undefined, `${c.name} keeps its image's entrypoint`);
        const m = up.one(CMD, "harbor-upgrade-3-migrate").inputs;
        assert.strictEqual(m.connection.host, up.spec.nodes[0].address);
        assert.match(m.create, /docker\.io\/goharbor\/harbor-core:v2\.15\.2/);
        assert.match(m.create, /exec \/harbor\/harbor_core -mode=migrate/);
        assert.ok(!/-mode=migrate/.test(up.byType(CMD).filter((c) => c.name !== "harbor-upgrade-3-migrate").map((c) => c.inputs.create).join("\n")), "no other command migrates");
    });

    it("the migrator gets the new core's settings on stdin as a secret, and no secret in its script", async () => {
        const m = up.one(CMD, "harbor-upgrade-3-migrate");
        assert.ok(await isSecret(m.rawProps.stdin));
        assert.match(m.inputs.stdin, /^POSTGRESQL_HOST=10\.20\.0\.6$/m);
        assert.match(m.inputs.stdin, /^POSTGRESQL_PASSWORD=./m);
        assert.ok(!/^CONFIG_PATH=/m.test(m.inputs.stdin));
        for (const s of Object.values(SECRET_VALUES)) assert.ok(!m.inputs.create.includes(s));
        assert.ok(!m.inputs.create.includes(up.one(CONTAINER, "node1-harbor-core").inputs.envs.find((e: string) => e.startsWith("POSTGRESQL_PASSWORD="))!.split("=")[1]));
    });

    it("the steps are planned with what they will do (from, to, kind) and their secrets kept secret", async () => {
        const b = up.one(dyn("DatabaseBackup"), "harbor-upgrade-1-backup");
        assert.deepStrictEqual([b.inputs.kind, b.inputs.from, b.inputs.to, b.inputs.enabled], ["upgrade", "v2.14.1", "v2.15.2", true]);
        assert.ok(path.isAbsolute(b.inputs.directory));
        assert.ok(await isSecret(b.rawProps.password));
        const w = up.one(dyn("ReadOnlyWindow"), "harbor-upgrade-2-read-only");
        assert.deepStrictEqual([w.inputs.kind, w.inputs.to, w.inputs.enabled], ["upgrade", "v2.15.2", true]);
        assert.strictEqual(w.inputs.api.address, `${up.spec.loadBalancer.vip}:${up.spec.loadBalancer.frontendPort}`);
        assert.ok(await isSecret(w.rawProps.secret));
    });

    it("after the upgrade, the next up (same version, steady) changes none of the steps; a new version replaces each", async () => {
        const steady = await evaluate("steady", prodConfig(3, version("v2.15.2")), { deployed: true, version: "v2.15.2" });
        // Another target version (any other than the recorded one) as the "next" change.
        const next = await evaluate("next", prodConfig(3, version("v2.15.1")), { deployed: true, version: "v2.14.1" });
        for (const [type, name, provider] of [["DatabaseBackup", "harbor-upgrade-1-backup", databaseBackupProvider], ["ReadOnlyWindow", "harbor-upgrade-2-read-only", readOnlyWindowProvider], ["ReadOnlyLift", "harbor-upgrade-9-read-write", readOnlyLiftProvider]] as const) {
            const olds = up.one(dyn(type), name).inputs;
            const same = await provider.diff!("id", olds, steady.one(dyn(type), name).inputs);
            assert.strictEqual(same.changes, false, `${name}: no change on the next up`);
            const moved = await provider.diff!("id", olds, next.one(dyn(type), name).inputs);
            assert.deepStrictEqual([moved.changes, moved.replaces], [true, ["to"]], `${name}: replaced for another version`);
        }
        // A retry after a failed run (the version is not recorded yet, so it is an upgrade again):
        // read-only again for the remaining waves, but the dump from before the migration stays.
        const retry = await evaluate("retry", prodConfig(3, version("v2.15.2")), { deployed: true, version: "v2.14.1" });
        const again = async (type: string, name: string, provider: typeof databaseBackupProvider) => (await provider.diff!("id", up.one(dyn(type), name).inputs, retry.one(dyn(type), name).inputs)).changes;
        assert.strictEqual(await again("ReadOnlyWindow", "harbor-upgrade-2-read-only", readOnlyWindowProvider), true, "the retry opens the window again");
        assert.strictEqual(await again("DatabaseBackup", "harbor-upgrade-1-backup", databaseBackupProvider), false, "the retry takes no second backup");
        assert.deepStrictEqual(steady.one(CMD, "harbor-upgrade-3-migrate").inputs.triggers, up.one(CMD, "harbor-upgrade-3-migrate").inputs.triggers);
        assert.notDeepStrictEqual(next.one(CMD, "harbor-upgrade-3-migrate").inputs.triggers, up.one(CMD, "harbor-upgrade-3-migrate").inputs.triggers);
        // Outside a version change, the ordinary rolling waves: node3 waits for node2's gate.
        assert.ok(steady.dependencies.get(cmd("node3-drain"))!.has(cmd("node2-gate")));
        assert.ok(!up.dependencies.get(cmd("node3-drain"))!.has(cmd("node2-gate")));
    });

    it("a first install runs the migrator (it creates the schema) but plans no backup and no window", async () => {
        const install = await evaluate("install", prodConfig(3, version("v2.15.2")), { deployed: false });
        assert.strictEqual(install.one(dyn("DatabaseBackup"), "harbor-upgrade-1-backup").inputs.kind, "install");
        assert.ok(install.one(CMD, "harbor-upgrade-3-migrate"));
        assert.ok(install.dependencies.get(cmd("node1-drain"))!.has(MIGRATE));
    });

    it("before v2.5.0 and on 1.x there is no one-shot migrator and cores keep their image's entrypoint", async () => {
        for (const [label, config] of [["v2.4.3", prodConfig(3, version("v2.4.3"))], ["v1.5.4", v1Config("v1.5.4")]] as const) {
            const ev = await evaluate(label, config, { deployed: false });
            assert.ok(!ev.byType(CMD).some((c) => c.name === "harbor-upgrade-3-migrate"), `${label}: no migrator`);
            for (const c of ev.byType(CONTAINER)) assert.strictEqual(c.inputs.entrypoints, undefined, `${label} ${c.name}`);
            assert.ok(ev.dependencies.get(cmd("node1-drain"))!.has(WINDOW), `${label}: wave 1 still waits for the window step`);
        }
        const v1 = await evaluate("v1.5.4", v1Config("v1.5.4"), { deployed: false });
        assert.strictEqual(v1.one(dyn("ReadOnlyWindow"), "harbor-upgrade-2-read-only").inputs.enabled, false, "1.x: no read-only switch harbor-ha can use");
    });
});
