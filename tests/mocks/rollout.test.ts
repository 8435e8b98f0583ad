/**
 * L1: rolling waves in the dependency graph, under pulumi.runtime.setMocks. Mocked: the engine
 * and every provider. Real: all program code. What the engine does with these edges (it runs a
 * resource's steps only after those of everything it depends on) is exercised for real by the
 * end-to-end suite's rolling change.
 */
import * as assert from "assert";
import { rolloutWaves } from "../../components/rollout";
import { prodConfig, prodNodes, raw } from "../support/fixtures";
import { evaluateCluster, Evaluation, isSecret, reaches } from "../support/mock-capture";

const CMD = "command:remote:Command";
const key = (name: string) => `${CMD}::${name}`;

const triggers = (ev: Evaluation, node: string) => JSON.stringify(ev.one(CMD, `${node}-drain`).inputs.triggers);

describe("L1 rolling waves (mocks)", function () {
    this.timeout(120000);

    for (const n of [3, 9]) {
        describe(`${n} nodes`, () => {
            let ev: Evaluation;
            before(async () => {
                ev = await evaluateCluster(raw(prodConfig(n)));
            });

            it("groups the nodes into waves of rollout.maxUnavailable (default 1 up to 5 nodes, a third above)", () => {
                const waves = rolloutWaves(ev.spec.nodes, ev.spec.rollout.maxUnavailable).map((w) => w.map((x) => x.name));
                assert.strictEqual(waves.length, 3);
                assert.deepStrictEqual(waves.flat(), ev.spec.nodes.map((x) => x.name));
                for (const w of waves) assert.strictEqual(w.length, n === 3 ? 1 : 3);
            });

            it("every drain of wave k+1 waits for every gate of wave k; nothing waits on a node of its own wave", () => {
                const waves = rolloutWaves(ev.spec.nodes, ev.spec.rollout.maxUnavailable).map((w) => w.map((x) => x.name));
                for (let k = 0; k < waves.length; k++) {
                    for (const node of waves[k]) {
                        const direct = ev.dependencies.get(key(`${node}-drain`)) ?? new Set();
                        const expected = k === 0 ? [] : waves[k - 1].map((p) => key(`${p}-gate`));
                        assert.deepStrictEqual([...direct].filter((d) => String(d).endsWith("-gate")).sort(), expected.sort(), `${node}-drain`);
                        const all = reaches(ev, key(`${node}-gate`));
                        // The one migrator runs on the first node before any wave, behind that node's
                        // host-key check: a check, not a change of that node.
                        for (const other of waves[k].filter((o) => o !== node))
                            assert.ok(![...all].some((d) => d.includes(`::${other}-`) && !d.endsWith(`::${other}-ssh-host-key`)), `${node} must not wait for ${other} (same wave)`);
                    }
                }
            });

            it("per node: drain -> storage mount and host prep -> every container -> gate; the balancer after the gate", () => {
                for (const node of ev.spec.nodes.map((x) => x.name)) {
                    const gate = reaches(ev, key(`${node}-gate`));
                    const containers = ev.resources.filter((r) => r.type === "docker:index/container:Container" && r.name.startsWith(`${node}-harbor-`));
                    assert.ok(containers.length >= 7);
                    for (const c of containers) {
                        const ck = `${c.type}::${c.name}`;
                        assert.ok(gate.has(ck), `${node}-gate waits for ${c.name}`);
                        const before = reaches(ev, ck);
                        assert.ok(before.has(key(`${node}-drain`)), `${c.name} waits for the drain`);
                        assert.ok(before.has(key(`${node}-storage-mount`)), `${c.name} waits for the mount`);
                    }
                    assert.ok(reaches(ev, key(`${node}-storage-mount`)).has(key(`${node}-drain`)), "the mount is changed only after the drain");
                    assert.ok(reaches(ev, key(`${node}-lb-haproxy`)).has(key(`${node}-gate`)), "the balancer is created after (and removed before) the node's Harbor");
                }
            });
        });
    }

    it("a change to one node's settings drains only that node; a version change drains every node", async () => {
        const base = await evaluateCluster(raw(prodConfig(3)));
        const nodes: Record<string, unknown>[] = prodNodes(3);
        nodes[1] = { ...nodes[1], syslogPort: 1600 };
        const one = await evaluateCluster(raw(prodConfig(3, { nodes })));
        const version = await evaluateCluster(raw(prodConfig(3, { harbor: { hostname: "harbor.example.com", version: "v2.14.1", trivy: true } })));
        assert.deepStrictEqual(
            ["node1", "node2", "node3"].map((x) => triggers(base, x) !== triggers(one, x)),
            [false, true, false],
        );
        assert.deepStrictEqual(["node1", "node2", "node3"].map((x) => triggers(base, x) !== triggers(version, x)), [true, true, true]);
        // The gate carries the same fingerprint, so it re-runs exactly when the drain does.
        for (const x of ["node1", "node2", "node3"]) assert.strictEqual(JSON.stringify(one.one(CMD, `${x}-gate`).inputs.triggers), triggers(one, x));
    });

    it("the fingerprint is deterministic (a second evaluation changes nothing) and kept secret", async () => {
        const a = await evaluateCluster(raw(prodConfig(3)));
        const b = await evaluateCluster(raw(prodConfig(3)));
        for (const x of ["node1", "node2", "node3"]) {
            assert.strictEqual(triggers(a, x), triggers(b, x));
            assert.ok(await isSecret(a.one(CMD, `${x}-drain`).rawProps.triggers[0]), "triggers derive from secrets");
            assert.doesNotMatch(a.one(CMD, `${x}-drain`).inputs.create, /PRIVATE KEY|placeholder/);
        }
    });
});
