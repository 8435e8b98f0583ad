/**
 * Engine tier: the upgrade guard rails of the project's own program (index.ts, Pulumi.yaml) under
 * the real Pulumi engine on a file backend. The stack's previous deployment is seeded with
 * `pulumi stack import` (a root stack resource whose outputs say harborVersion v2.15.2); the
 * program reads it back through a StackReference to its own stack, which is what these tests
 * prove works with the real engine, and refuses before it declares anything. No resource plugin
 * is needed: a refusal comes before the first resource.
 */
import * as assert from "assert";
import { engineTestsSkipped, projectStack, requireToolchain, ScratchStack } from "./toolchain";

const CONFIG: Record<string, unknown> = {
    nodes: [1, 2, 3].map((i) => ({ name: `node${i}`, address: `10.20.0.${10 + i}` })),
    ssh: { user: "root", privateKeyPath: "/dev/null", strictHostKeyChecking: "accept-new" },
    loadBalancer: { mode: "keepalived", vip: "10.20.0.100", subnet: "10.20.0.0/24", interface: "eth0" },
    storage: { type: "cephfs", cephfs: { monitors: ["10.20.0.5:6789"] } },
    database: { host: "10.20.0.6", provision: { enabled: true, adminUser: "postgres" } },
    redis: { host: "10.20.0.7" },
};

describe("engine: the upgrade guard rails of the project's own program (real engine)", function () {
    this.timeout(10 * 60 * 1000);
    let s: ScratchStack | undefined;
    let stackUrn: string;

    before(async function () {
        if (engineTestsSkipped()) this.skip();
        requireToolchain([]);
        s = await projectStack("upgradeguard");
        const cfg: Record<string, { value: string; secret?: boolean }> = {};
        for (const [k, v] of Object.entries(CONFIG)) cfg[`harbor-ha:${k}`] = { value: JSON.stringify(v) };
        cfg["harbor-ha:cephKey"] = { value: "AQBc", secret: true };
        cfg["harbor-ha:databaseAdminPassword"] = { value: "admin-pw", secret: true };
        await s.stack.setAllConfig(cfg);
        const exported = await s.stack.exportStack();
        stackUrn = `urn:pulumi:upgradeguard::harbor-ha::pulumi:pulumi:Stack::harbor-ha-upgradeguard`;
        // What a finished upgrade to v2.15.2 leaves: the program's own outputs on the root stack resource.
        const deployment = {
            ...exported,
            deployment: {
                ...(exported.deployment as Record<string, unknown>),
                resources: [{ urn: stackUrn, custom: false, type: "pulumi:pulumi:Stack", outputs: { harborVersion: "v2.15.2", externalUrl: "https://harbor.example.com" } }],
            },
        };
        await s.stack.importStack(deployment);
    });
    after(() => {
        if (s && process.env.HARBOR_HA_KEEP_ENGINE_DIRS !== "1") s.cleanup();
    });

    /** What a finished upgrade to `version` leaves in the stack's outputs. */
    async function recordVersion(version: string): Promise<void> {
        const exported = await s!.stack.exportStack();
        const d = exported.deployment as { resources: { urn: string; outputs?: Record<string, unknown> }[] };
        d.resources = d.resources.filter((r) => r.urn === stackUrn).map((r) => ({ ...r, outputs: { ...r.outputs, harborVersion: version } }));
        await s!.stack.importStack(exported);
    }
    const setVersion = (version: string, extra: Record<string, unknown> = {}) =>
        s!.stack.setAllConfig({ "harbor-ha:harbor": { value: JSON.stringify({ hostname: "harbor.example.com", version }) }, ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [`harbor-ha:${k}`, { value: JSON.stringify(v) }])) });

    it("preview refuses a downgrade below the recorded v2.15.2, naming harbor.version and the rollback", async () => {
        await setVersion("v2.14.1");
        const err = await s!.stack.preview({ color: "never" }).then(() => undefined, (e: Error) => e);
        assert.ok(err, "preview must fail");
        assert.match(err.message, /harbor-ha:harbor\.version: v2\.14\.1 is older than v2\.15\.2, which this stack runs/);
        assert.match(err.message, /upgrade\.allowDowngrade: true/);
    });

    it("up refuses skipping more than two minor versions (recorded v2.11.0 -> v2.15.2) and leaves the stack as it was", async () => {
        // From the recorded v2.15.2 nothing newer exists to skip to: record v2.11.0 instead.
        await recordVersion("v2.11.0");
        await setVersion("v2.15.2");
        const err = await s!.stack.up({ color: "never" }).then(() => undefined, (e: Error) => e);
        assert.ok(err, "up must fail");
        assert.match(err.message, /harbor-ha:harbor\.version: Harbor v2\.15\.2 migrates from v2\.13\.0 and later only/);
        const after = (await s!.stack.exportStack()).deployment as { resources: { type: string }[] };
        const types = after.resources.map((r) => r.type).filter((t) => !["pulumi:pulumi:Stack", "pulumi:pulumi:StackReference", "pulumi:providers:pulumi"].includes(t));
        assert.deepStrictEqual(types, [], "no resource was created or touched");
    });

    it("the recorded version is read back: the same version passes the guard (the run goes on to declare resources)", async () => {
        await recordVersion("v2.15.2");
        await setVersion("v2.15.2");
        const out = await s!.stack.preview({ color: "never" }).then((r) => r.stdout, (e: Error) => e.message);
        assert.ok(!/harbor-ha:harbor\.version/.test(out), out.slice(-2000));
        console.log(`      same version: ${out.split("\n").filter((l) => /error|plugin|harbor-upgrade/i.test(l)).slice(0, 3).join(" | ").slice(0, 400)}`);
        // Whether the preview then succeeds depends on the resource plugins present here.
        assert.match(out, /harbor-upgrade-1-backup|resource plugin|plugin .* not found|no resource plugin/i, out.slice(-2000));
    });
});
