/**
 * L0: the dev stack (Pulumi.dev.yaml, as scripts/dev-up.sh runs it) opens nothing beyond
 * 127.0.0.1. The listeners come from the same renders the program declares: every container's
 * published ports, the dev services' ports, and the binds of the haproxy config the program
 * writes. Plus the config rules that keep listeners reachable where they must be.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { ConfigError } from "../../components/config/load";
import { devDataDirs, devImages, devListeners, loadDevSpec, readStackConfig, REPO } from "../../scripts/dev/dev-stack";

const DEV = path.join(REPO, "Pulumi.dev.yaml");

/** Pulumi.dev.yaml with `edit` applied to its config, written to a scratch file. */
function devVariant(edit: (config: Record<string, any>) => void): string {
    const doc = YAML.parse(fs.readFileSync(DEV, "utf8"));
    edit(doc.config);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "dev-stack-")), "Pulumi.dev.yaml");
    fs.writeFileSync(file, YAML.stringify(doc));
    return file;
}

function problems(file: string): string[] {
    try {
        loadDevSpec(file);
        return [];
    } catch (e) {
        if (e instanceof ConfigError) return e.problems;
        throw e;
    }
}

describe("L0 dev stack: listeners and config", () => {
    it("every listener of the dev stack binds 127.0.0.1 (containers, dev services, haproxy)", () => {
        const listeners = devListeners(loadDevSpec(DEV));
        // 2 nodes x (proxy http + https + log udp) + postgres + redis + haproxy frontend + 2 health frontends.
        assert.strictEqual(listeners.length, 11, JSON.stringify(listeners));
        const open = listeners.filter((l) => l.address !== "127.0.0.1");
        assert.deepStrictEqual(open, [], `listening beyond 127.0.0.1: ${open.map((l) => `${l.address}:${l.port} (${l.key})`).join(", ")}`);
    });

    it("without listenAddress the same stack would listen on every address (the check above can fail)", () => {
        const file = devVariant((c) => {
            delete c["harbor-ha:loadBalancer"].listenAddress;
            for (const n of c["harbor-ha:nodes"]) delete n.listenAddress;
        });
        const wide = devListeners(loadDevSpec(file)).filter((l) => l.address !== "127.0.0.1").map((l) => l.key);
        assert.deepStrictEqual(wide.sort(), ["loadBalancer.frontendPort", "nodes[0].healthPort", "nodes[0].httpPort", "nodes[0].httpsPort", "nodes[1].healthPort", "nodes[1].httpPort", "nodes[1].httpsPort"]);
    });

    it("keeps the stack's files out of the work tree and the host's haproxy: its own haproxy directory, data under /var/tmp/harbor-ha-dev", () => {
        const spec = loadDevSpec(DEV);
        assert.strictEqual(spec.loadBalancer.haproxyDir, "/var/tmp/harbor-ha-dev/haproxy");
        for (const d of devDataDirs(spec)) assert.ok(d.startsWith("/var/tmp/harbor-ha-dev/"), d);
        assert.ok(!("encryptionsalt" in YAML.parse(fs.readFileSync(DEV, "utf8"))), "Pulumi.dev.yaml carries a salt: dev-up must keep it in HARBOR_HA_DEV_HOME");
        assert.deepStrictEqual(devImages(spec).slice(-2), ["docker.io/library/postgres:16", "docker.io/library/redis:7"]);
    });

    it("reads a stack file as the engine passes config: objects as JSON, scalars as strings, secure values marked secret", () => {
        const file = devVariant((c) => { c["harbor-ha:databaseAdminPassword"] = { secure: "v1:abc" }; });
        const raw = readStackConfig(file);
        assert.strictEqual(raw.project, "harbor-ha");
        assert.deepStrictEqual(JSON.parse(raw.values["harbor-ha:harbor"]), { hostname: "127.0.0.1", protocol: "https", port: 9443 });
        assert.ok(raw.secretKeys.has("harbor-ha:databaseAdminPassword"));
        assert.ok(!Object.values(raw.values).includes("v1:abc"));
    });

    const refused: [string, (c: Record<string, any>) => void, RegExp][] = [
        ["a node listening on an address that is not its own", (c) => { c["harbor-ha:nodes"][0].listenAddress = "10.0.0.9"; }, /nodes\[0\]\.listenAddress: must be 0\.0\.0\.0 or dev1's own address 127\.0\.0\.1/],
        ["a keepalived frontend bound to one address", (c) => {
            c["harbor-ha:loadBalancer"] = { mode: "keepalived", vip: "10.0.0.100", subnet: "10.0.0.0/24", listenAddress: "10.0.0.100" };
        }, /loadBalancer\.listenAddress: must be \* in keepalived mode/],
        ["a private haproxy on ssh nodes", (c) => {
            c["harbor-ha:devServices"].enabled = false;
            for (const n of c["harbor-ha:nodes"]) { n.transport = "ssh"; n.hostKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGVkMjU1MTkta2V5LWZvci10ZXN0cy1vbmx5LWFhYWE="; }
        }, /loadBalancer\.haproxyDir: a private haproxy is not started at boot/],
        ["dev services reached at the published port", (c) => { c["harbor-ha:database"].port = 15432; }, /database\.port: with devServices\.enabled it is the container's own port 5432/],
        ["dev services reached by another name", (c) => { c["harbor-ha:redis"].host = "host.docker.internal"; }, /redis\.host: with devServices\.enabled Harbor reaches the dev service as harbor-ha-dev-redis/],
    ];
    for (const [what, edit, message] of refused) {
        it(`refuses ${what}, naming the key and the fix`, () => {
            const found = problems(devVariant(edit));
            assert.ok(found.some((p) => message.test(p)), found.join("\n"));
        });
    }
});
