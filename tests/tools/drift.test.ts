/**
 * L2: the drift check's node script (components/verify/drift.ts) run by a real shell against
 * real containers on the local Docker engine (the lab's Debian base image, standing in for a
 * node's Harbor containers: the script only reads their env and files), then compared.
 * A secret file changed inside one node's container, and an env value differing on another,
 * must be named by node and item; a missing container reads as "absent". No value is printed.
 */
import * as assert from "assert";
import { execFileSync, spawnSync } from "child_process";
import { loadClusterSpec } from "../../components/config/load";
import { ClusterSpec } from "../../components/config/spec";
import { compareDrift, driftScript, DriftItem, itemName } from "../../components/verify/drift";
import { driftCheckProvider } from "../../components/verify/drift-check";
import { callSerialized, serializeProvider } from "../support/services/serialized-provider";
import { prodConfig, raw } from "../support/fixtures";

const docker = (...args: string[]) => execFileSync("docker", args, { encoding: "utf8" }).trim();

function baseImage(): string | undefined {
    const r = spawnSync("docker", ["images", "--format", "{{.Repository}}:{{.Tag}}", "harbor-ha-lab/base"], { encoding: "utf8" });
    return r.status === 0 ? r.stdout.split("\n").find(Boolean) : undefined;
}

describe("L2 drift check: the node script against real containers", function () {
    this.timeout(120000);
    let spec: ClusterSpec;
    const items: DriftItem[] = [
        { component: "core", kind: "env", key: "CORE_SECRET" },
        { component: "core", kind: "file", key: "/etc/core/key" },
        { component: "registry", kind: "file", key: "/etc/registry/root.crt" },
    ];
    const containers: string[] = [];
    const SECRET = "s3cret-value-never-printed";

    before(function () {
        const image = baseImage();
        if (!image) {
            if (process.env.HARBOR_HA_LAB === "1") throw new Error("no harbor-ha-lab/base image; run `bash tests/lab/lab.sh build` (the README's test command does this itself)");
            this.skip();
        }
        spec = loadClusterSpec(raw(prodConfig(3)));
        for (const n of spec.nodes) {
            for (const c of ["core", "registry"]) {
                const name = `${n.name}-${c}`;
                spawnSync("docker", ["rm", "-f", name], { stdio: "ignore" });
                const env = c === "core" ? ["-e", `CORE_SECRET=${n.name === "node3" ? "other" : SECRET}`] : [];
                docker("run", "-d", "--name", name, ...env, image!, "sleep", "infinity");
                containers.push(name);
            }
            docker("exec", `${n.name}-core`, "sh", "-c", `mkdir -p /etc/core && printf '%s' ${SECRET}key > /etc/core/key`);
            docker("exec", `${n.name}-registry`, "sh", "-c", "mkdir -p /etc/registry && echo CERT > /etc/registry/root.crt");
        }
    });
    after(() => {
        for (const c of containers) spawnSync("docker", ["rm", "-f", c], { stdio: "ignore" });
    });

    const read = (node: string) => {
        const n = spec.nodes.find((x) => x.name === node)!;
        const r = spawnSync("sh", ["-c", driftScript(n, items)], { encoding: "utf8" });
        assert.strictEqual(r.status, 0, r.stderr);
        return r.stdout;
    };

    it("prints one digest per item, never a value", () => {
        const out = read("node1");
        const lines = out.trim().split("\n");
        assert.deepStrictEqual(lines.map((l) => l.split(" ")[0]), items.map(itemName));
        for (const l of lines) assert.match(l, / [0-9a-f]{64}$/);
        assert.ok(!out.includes(SECRET));
    });

    it("names the node whose env differs, and the node whose secret file was changed inside its container", () => {
        docker("exec", "node2-core", "sh", "-c", "printf tampered > /etc/core/key");
        const findings = compareDrift({ node1: read("node1"), node2: read("node2"), node3: read("node3") });
        assert.deepStrictEqual(findings, [
            { node: "node2", items: ["core.file./etc/core/key"] },
            { node: "node3", items: ["core.env.CORE_SECRET"] },
        ]);
    });

    it("the stack's DriftCheck, serialized as Pulumi runs it, reads the nodes live and fails in one line naming node and item", async () => {
        const { file } = await serializeProvider(driftCheckProvider);
        const targets = spec.nodes.map((n) => ({ name: n.name, transport: "local", address: n.address, sshPort: 22, sshUser: "root", knownHosts: "", script: driftScript(n, items) }));
        const r = await callSerialized(file, "create", [{ targets, trigger: "t1" }]);
        assert.ok(r.error, "node2's file and node3's env differ: the check must fail");
        assert.strictEqual(r.error!.message.split("\n").length, 1);
        assert.match(r.error!.message, /^drift between nodes: node2 differs from the other nodes in core\.file\.\/etc\/core\/key; node3 differs from the other nodes in core\.env\.CORE_SECRET\./);
        assert.ok(!r.error!.message.includes(SECRET));
        const two = await callSerialized(file, "create", [{ targets: targets.slice(0, 1), trigger: "t2" }]);
        assert.ok(!two.error, two.error?.message);
        assert.deepStrictEqual((two.result as { outs: { nodes: number; items: number } }).outs.nodes, 1);
    });

    it("a node without the container reads as absent and is named", () => {
        docker("rm", "-f", "node3-registry");
        const out = read("node3");
        assert.match(out, /^registry\.file\.\/etc\/registry\/root\.crt absent$/m);
        const findings = compareDrift({ node1: read("node1"), node3: out });
        assert.ok(findings.some((f) => f.items.includes("registry.file./etc/registry/root.crt")), JSON.stringify(findings));
    });
});
