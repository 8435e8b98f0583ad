/** L0: the shipped stack files validate (prod with its documented secrets set). */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { loadClusterSpec } from "../../components/config/load";
import { PROJECT, raw, SECRET_VALUES } from "../support/fixtures";

function stackValues(file: string): Record<string, unknown> {
    const doc = YAML.parse(fs.readFileSync(path.join(__dirname, "..", "..", file), "utf8"));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(doc.config as Record<string, unknown>)) out[k.slice(PROJECT.length + 1)] = v;
    return out;
}

describe("L0 stack files", () => {
    it("Pulumi.prod.yaml is a valid three-node config once its secrets are set", () => {
        const spec = loadClusterSpec(raw(stackValues("Pulumi.prod.yaml"), { cephKey: SECRET_VALUES.cephKey, databaseAdminPassword: "x", redisPassword: "y" }));
        assert.strictEqual(spec.nodes.length, 3);
        assert.strictEqual(spec.loadBalancer.vip, "10.20.0.100");
        assert.strictEqual(spec.storage.type, "cephfs");
    });

    it("Pulumi.prod.yaml without its secrets fails naming each secret key", () => {
        assert.throws(() => loadClusterSpec(raw(stackValues("Pulumi.prod.yaml"), {})), /harbor-ha:cephKey[\s\S]*harbor-ha:databaseAdminPassword/);
    });

    it("Pulumi.dev.yaml runs two local instances behind haproxy with dev services", () => {
        const spec = loadClusterSpec(raw(stackValues("Pulumi.dev.yaml"), {}));
        assert.deepStrictEqual(spec.nodes.map((n) => n.transport), ["local", "local"]);
        assert.strictEqual(spec.loadBalancer.mode, "haproxy");
        assert.strictEqual(spec.devServices.enabled, true);
        assert.strictEqual(spec.harbor.externalUrl, "https://127.0.0.1:9443");
    });
});
