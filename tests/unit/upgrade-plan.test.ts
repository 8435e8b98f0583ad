/**
 * L0: the guard rails of a change of harbor.version (components/upgrade/plan.ts) and the wave
 * shape during one. No engine, no mocks: the plan is decided from the config and what the stack
 * recorded, before any resource is declared.
 */
import * as assert from "assert";
import * as fs from "fs";
import { ConfigError, loadClusterSpec } from "../../components/config/load";
import { SUPPORTED_RELEASES } from "../../components/profiles/v2/releases";
import { v2UpgradePath } from "../../components/profiles/v2/upgrade-path";
import { rolloutWaves, upgradeWaves } from "../../components/rollout";
import { DeployedRelease, describePlan, planUpgrade } from "../../components/upgrade/plan";
import { fakeTools } from "../support/fake-tools";
import { prodConfig, raw, v1Config } from "../support/fixtures";

const spec = (version: string, upgrade: Record<string, unknown> = {}) => loadClusterSpec(raw(prodConfig(3, { harbor: { hostname: "harbor.example.com", version, trivy: true }, upgrade })));
const deployed = (version?: string): DeployedRelease => ({ deployed: true, version });

/** PATH with (or without) an executable of that name, for the backup-tool check. */
function withPath<T>(tools: string[], f: () => T): T {
    const dir = fakeTools(tools);
    const saved = process.env.PATH;
    process.env.PATH = dir;
    try {
        return f();
    } finally {
        process.env.PATH = saved;
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

function refusal(f: () => unknown): string {
    try {
        f();
    } catch (e) {
        assert.ok(e instanceof ConfigError, `a ConfigError, not ${e}`);
        return e.message;
    }
    assert.fail("expected a refusal");
}

describe("L0 upgrade guard rails (upgrade/plan.ts)", () => {
    const pg = ["pg_dump"];

    it("a first deployment is an install; the same version again is steady; neither needs a dump tool", () => {
        withPath([], () => {
            assert.deepStrictEqual(planUpgrade(spec("v2.15.2"), { deployed: false }), { kind: "install", to: "v2.15.2" });
            assert.deepStrictEqual(planUpgrade(spec("v2.15.2"), deployed("v2.15.2")), { kind: "steady", from: "v2.15.2", to: "v2.15.2" });
        });
    });

    it("allows an upgrade of up to two minor versions and patch upgrades", () => {
        withPath(pg, () => {
            assert.deepStrictEqual(planUpgrade(spec("v2.15.2"), deployed("v2.13.0")), { kind: "upgrade", from: "v2.13.0", to: "v2.15.2" });
            assert.strictEqual(planUpgrade(spec("v2.15.2"), deployed("v2.15.0")).kind, "upgrade");
        });
    });

    it("refuses skipping more than two minor versions, naming harbor.version and the release to go through", () => {
        const m = withPath(pg, () => refusal(() => planUpgrade(spec("v2.15.2"), deployed("v2.12.4"))));
        assert.match(m, /harbor-ha:harbor\.version: Harbor v2\.15\.2 migrates from v2\.13\.0 and later only/);
        assert.match(m, /upgrade to the newest v2\.14\.x first/);
    });

    it("refuses a downgrade with the rollback procedure; allowDowngrade (after a restore) lets it through", () => {
        const m = withPath(pg, () => refusal(() => planUpgrade(spec("v2.14.1"), deployed("v2.15.2"))));
        assert.match(m, /harbor-ha:harbor\.version: v2\.14\.1 is older than v2\.15\.2/);
        assert.match(m, /restore the dump taken before the upgrade to v2\.15\.2 .*upgrade\.allowDowngrade: true/);
        const plan = withPath(pg, () => planUpgrade(spec("v2.14.1", { allowDowngrade: true }), deployed("v2.15.2")));
        assert.deepStrictEqual(plan, { kind: "downgrade", from: "v2.15.2", to: "v2.14.1" });
    });

    it("refuses changing a running cluster to a release without harbor_core -mode=migrate (before v2.5.0)", () => {
        const m = withPath(pg, () => refusal(() => planUpgrade(spec("v2.4.3"), deployed("v2.3.5"))));
        assert.match(m, /harbor-ha:harbor\.version: .*only to v2\.5\.0 or later .*-mode=migrate/);
        // Installing such a release is still possible: its cores migrate as they always did.
        assert.strictEqual(withPath([], () => planUpgrade(spec("v2.4.3"), { deployed: false })).kind, "install");
    });

    it("refuses crossing release lines (MySQL 1.x -> PostgreSQL 2.x, 1.1 -> 1.5) and allows 1.x patch upgrades", () => {
        const m = withPath(pg, () => refusal(() => planUpgrade(spec("v2.15.2"), deployed("v1.5.4"))));
        assert.match(m, /harbor-ha:harbor\.version: v1\.5\.4 -> v2\.15\.2 crosses Harbor release lines .*mysql to postgresql/);
        const v1 = (v: string) => loadClusterSpec(raw(v1Config(v)));
        const m2 = withPath(["mysqldump"], () => refusal(() => planUpgrade(v1("v1.5.4"), deployed("v1.1.2"))));
        assert.match(m2, /crosses Harbor release lines \(v1\.1 -> v1\.5\).*harbor-db-migrator/);
        assert.deepStrictEqual(withPath(["mysqldump"], () => planUpgrade(v1("v1.5.4"), deployed("v1.5.0"))), { kind: "upgrade", from: "v1.5.0", to: "v1.5.4" });
    });

    it("refuses a recorded version it does not know", () => {
        const m = withPath(pg, () => refusal(() => planUpgrade(spec("v2.15.2"), deployed("v2.99.0"))));
        assert.match(m, /harbor-ha:harbor\.version: the stack last deployed v2\.99\.0, which this harbor-ha does not know/);
    });

    it("a stack deployed before the version was recorded is handled as an upgrade (backup, window, migrator)", () => {
        assert.deepStrictEqual(withPath(pg, () => planUpgrade(spec("v2.15.2"), deployed(undefined))), { kind: "unrecorded", to: "v2.15.2" });
    });

    it("a version change with the backup on needs pg_dump (mysqldump for 1.x) on this machine: refused naming upgrade.backup.enabled", () => {
        const m = withPath([], () => refusal(() => planUpgrade(spec("v2.15.2"), deployed("v2.14.1"))));
        assert.match(m, /harbor-ha:upgrade\.backup\.enabled: .*pg_dump is not on the PATH .*postgresql-client.*or set upgrade\.backup\.enabled: false/);
        assert.strictEqual(withPath([], () => planUpgrade(spec("v2.15.2", { backup: { enabled: false } }), deployed("v2.14.1"))).kind, "upgrade");
        const v1 = loadClusterSpec(raw(v1Config("v1.5.4")));
        assert.match(withPath(pg, () => refusal(() => planUpgrade(v1, deployed("v1.5.2")))), /mysqldump is not on the PATH .*mariadb-client/);
    });

    it("says in one line what a version change will do, step by step; nothing for install and steady", () => {
        const s = spec("v2.15.2");
        const line = describePlan(s, { kind: "upgrade", from: "v2.14.1", to: "v2.15.2" })!;
        assert.match(line, /^harbor-ha: upgrade v2\.14\.1 -> v2\.15\.2: back up the database \(pg_dump\) to \/.*backups; switch Harbor to read-only; migrate the schema once on node1; wave 1: node1; wave 2: node2, node3; switch read-only back$/);
        assert.match(describePlan(spec("v2.15.2", { backup: { enabled: false }, readOnly: false }), { kind: "unrecorded", to: "v2.15.2" })!, /change from an unrecorded version -> v2\.15\.2: no backup \(upgrade\.backup\.enabled: false\); no read-only window; migrate/);
        assert.strictEqual(describePlan(s, { kind: "steady", from: "v2.15.2", to: "v2.15.2" }), undefined);
        assert.strictEqual(describePlan(s, { kind: "install", to: "v2.15.2" }), undefined);
    });

    it("the path rule holds for every pair of supported 2.x releases: refused exactly when more than two minors apart", () => {
        const minor = (v: string) => Number(v.split(".")[1]);
        let refused = 0;
        for (const from of SUPPORTED_RELEASES)
            for (const to of SUPPORTED_RELEASES) {
                const up = SUPPORTED_RELEASES.indexOf(to) > SUPPORTED_RELEASES.indexOf(from);
                const problem = v2UpgradePath(from, to);
                assert.strictEqual(problem !== undefined, up && minor(to) - minor(from) > 2, `${from} -> ${to}`);
                if (problem) refused++;
            }
        assert.ok(refused > 100, `refused ${refused} pairs`);
    });
});

describe("L0 waves during a version change (rollout.ts upgradeWaves)", () => {
    const template = spec("v2.15.2").nodes[0];
    const nodes = (n: number) => Array.from({ length: n }, (_, i) => ({ ...template, name: `node${i + 1}` }));
    const names = (w: { name: string }[][]) => w.map((x) => x.map((n) => n.name));

    it("first wave of maxUnavailable nodes, then all the others at once", () => {
        assert.deepStrictEqual(names(upgradeWaves(nodes(3), 1)), [["node1"], ["node2", "node3"]]);
        assert.deepStrictEqual(names(upgradeWaves(nodes(9), 3)), [["node1", "node2", "node3"], ["node4", "node5", "node6", "node7", "node8", "node9"]]);
        // Never the whole cluster in the first wave: someone must serve while it changes.
        assert.deepStrictEqual(names(upgradeWaves(nodes(2), 5)), [["node1"], ["node2"]]);
        assert.deepStrictEqual(names(upgradeWaves(nodes(1), 1)), [["node1"]]);
        // Outside a version change the waves are the ordinary rolling ones.
        assert.strictEqual(rolloutWaves(nodes(3), 1).length, 3);
    });
});
