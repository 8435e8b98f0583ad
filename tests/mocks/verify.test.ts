/**
 * L1 (mocks): how the canary and the drift check sit in the stack. They come after every gate
 * and balancer, re-run only when a node's containers change (their trigger is the nodes'
 * fingerprints), carry their credentials as secrets, and are off where the release cannot
 * create the canary's robot account.
 */
import * as assert from "assert";
import { ConfigError, loadClusterSpec } from "../../components/config/load";
import { prodConfig, raw, SECRET_VALUES } from "../support/fixtures";
import { evaluateCluster, Evaluation, isSecret } from "../support/mock-capture";

const dyn = (t: string) => `pulumi-nodejs:dynamic/harbor-ha:${t}`;
const REMOTE_CMD = "command:remote:Command";

describe("L1 verification in the stack (mocks)", function () {
    this.timeout(60000);
    let ev: Evaluation;
    before(async () => {
        ev = await evaluateCluster(raw(prodConfig(3)));
    });
    const deps = (type: string, name: string) => [...(ev.dependencies.get(`${type}::${name}`) ?? [])] as string[];

    it("the canary runs after every node's gate and balancer, the drift check and its robot", () => {
        const d = deps(dyn("RegistryCanary"), "harbor-canary");
        for (const n of ["node1", "node2", "node3"]) {
            assert.ok(d.includes(`${REMOTE_CMD}::${n}-gate`), `${n}-gate`);
            assert.ok(d.some((x) => x.includes(`${n}-lb`)), `${n}-lb`);
        }
        assert.ok(d.includes(`${dyn("CanaryRobot")}::harbor-canary-robot`));
        assert.ok(d.includes(`${dyn("DriftCheck")}::harbor-drift-check`));
    });

    it("pushes to node1 and pulls from node2 and node3 at their proxy ports, and through the VIP", () => {
        const c = ev.one(dyn("RegistryCanary"), "harbor-canary").inputs;
        assert.strictEqual(c.pushTo.name, "node1");
        assert.deepStrictEqual(c.pullFrom.map((n: { name: string }) => n.name), ["node2", "node3"]);
        assert.strictEqual(c.pullFrom[0].endpoint.address, `${ev.spec.nodes[1].address}:${ev.spec.nodes[1].httpsPort}`);
        assert.strictEqual(c.balancer.endpoint.address, `${ev.spec.loadBalancer.vip}:${ev.spec.loadBalancer.frontendPort}`);
        assert.match(c.pushTo.endpoint.ca, /BEGIN CERTIFICATE/);
    });

    it("the drift check reads every node (ssh, the stack's own known_hosts file), re-runs on any node's change, with no secret in its scripts", () => {
        const d = ev.one(dyn("DriftCheck"), "harbor-drift-check").inputs;
        assert.deepStrictEqual(d.targets.map((t: { name: string }) => t.name), ["node1", "node2", "node3"]);
        for (const t of d.targets) {
            assert.strictEqual(t.transport, "ssh");
            assert.match(t.knownHosts, /known_hosts\/harbor-ha\.prod\.node\d$/);
            for (const s of Object.values(SECRET_VALUES)) assert.ok(!String(t.script).includes(s));
            assert.match(t.script, /core\.file\.\/etc\/core\/private_key\.pem/);
        }
        assert.match(String(d.trigger), /^[0-9a-f]{64}$/);
    });

    it("the canary robot is created with the admin login, both secrets kept secret in state", async () => {
        const robot = ev.one(dyn("CanaryRobot"), "harbor-canary-robot");
        assert.strictEqual(robot.inputs.project, "harbor-ha-canary");
        assert.strictEqual(robot.inputs.robot, "canary");
        assert.ok(robot.inputs.adminPassword, "admin password passed");
        assert.ok(await isSecret(robot.rawProps.adminPassword), "the admin password reaches the robot as a secret");
        assert.ok(await isSecret(robot.rawProps.secret), "the robot's secret is a secret");
        const canary = ev.one(dyn("RegistryCanary"), "harbor-canary");
        assert.ok(await isSecret(canary.rawProps.robot), "the canary's robot credentials are secret");
    });

    it("verify.canary: false leaves the drift check and drops the canary and its robot", async () => {
        const off = await evaluateCluster(raw(prodConfig(3, { verify: { canary: false } })));
        assert.strictEqual(off.resources.filter((r) => /canary/.test(r.name)).length, 0);
        assert.ok(off.one(dyn("DriftCheck"), "harbor-drift-check"));
    });

    it("before v2.2.0 the canary is off by default, and asking for it names the release it needs", () => {
        assert.strictEqual(loadClusterSpec(raw(prodConfig(3, { harbor: { ...(prodConfig(3).harbor as object), version: "v2.1.6" } }))).verify.canary, false);
        assert.throws(
            () => loadClusterSpec(raw(prodConfig(3, { harbor: { ...(prodConfig(3).harbor as object), version: "v2.1.6" }, verify: { canary: true } }))),
            (e: unknown) => e instanceof ConfigError && e.problems.some((p) => /harbor-ha:verify\.canary: needs Harbor v2\.2\.0 or later \(harbor\.version is v2\.1\.6\)/.test(p)),
        );
    });
});
