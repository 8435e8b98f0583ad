/**
 * L1 (mocks): SSH host identity wiring. Every connection to an ssh node verifies that node's key
 * (pinned, or first seen with accept-new) and waits for its SshHostKey check; the Docker
 * provider's ssh knows only that key, from a known_hosts file of the program's own. Whether the
 * check itself catches a changed key is tested against a real sshd (tests/tools/ssh-host-key.test.ts)
 * and in the e2e suite.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { evaluateCluster, Evaluation } from "../support/mock-capture";
import { prodConfig, raw } from "../support/fixtures";

const DYNAMIC = "pulumi-nodejs:dynamic/harbor-ha:SshHostKey";

describe("L1 SSH host keys (mocks)", function () {
    this.timeout(60_000);
    let ev: Evaluation;
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "hha-state-"));

    before(async () => {
        process.env.HARBOR_HA_STATE_DIR = stateDir;
        ev = await evaluateCluster(raw(prodConfig(3)));
    });
    after(() => delete process.env.HARBOR_HA_STATE_DIR);

    it("checks each ssh node's key against the pinned one before anything connects", () => {
        for (const n of ev.spec.nodes) {
            const check = ev.one(DYNAMIC, `${n.name}-ssh-host-key`);
            assert.strictEqual(check.inputs.pinned, n.hostKey);
            assert.strictEqual(check.inputs.address, n.address);
        }
    });

    it("every remote command verifies its node's key and waits for the node's check", () => {
        const commands = ev.byType("command:remote:Command");
        assert.ok(commands.length > 20);
        for (const c of commands) {
            const node = ev.spec.nodes.find((n) => n.address === c.inputs.connection.host)!;
            assert.strictEqual(c.inputs.connection.hostKey, node.hostKey, c.name);
            assert.ok(ev.dependencies.get(`command:remote:Command::${c.name}`)!.has(`${DYNAMIC}::${node.name}-ssh-host-key`), `${c.name} waits for ${node.name}'s check`);
        }
    });

    it("each Docker provider's ssh knows only its node's key, in a file of the program's own", () => {
        for (const n of ev.spec.nodes) {
            const p = ev.one("pulumi:providers:docker", `${n.name}-docker`);
            // Provider inputs reach the engine JSON-encoded.
            const opts: string[] = JSON.parse(p.inputs.sshOpts);
            const opt = (name: string) => opts.find((o) => o.startsWith(`${name}=`))?.split("=")[1];
            assert.strictEqual(opt("StrictHostKeyChecking"), "yes");
            assert.strictEqual(opt("GlobalKnownHostsFile"), "/dev/null");
            const file = opt("UserKnownHostsFile")!;
            assert.ok(file.startsWith(stateDir + path.sep), file);
            assert.ok(!opts.some((o) => o.includes("/.ssh/")), "nothing under ~/.ssh");
            assert.strictEqual(fs.readFileSync(file, "utf8"), `${n.address} ${n.hostKey}\n`);
            assert.strictEqual(fs.statSync(file).mode & 0o777, 0o600);
            assert.ok(ev.dependencies.get(`pulumi:providers:docker::${n.name}-docker`)!.has(`${DYNAMIC}::${n.name}-ssh-host-key`));
        }
    });

    it("with accept-new, connections verify the key the check records (not the operator's known_hosts)", async () => {
        const cfg = prodConfig(3, { ssh: { privateKeyPath: "/dev/null", strictHostKeyChecking: "accept-new" } });
        cfg.nodes = (cfg.nodes as Array<Record<string, unknown>>).map(({ name, address }) => ({ name, address }));
        const tofu = await evaluateCluster(raw(cfg));
        const check = tofu.one(DYNAMIC, "node1-ssh-host-key");
        assert.strictEqual(check.inputs.pinned, undefined);
        const cmd = tofu.byType("command:remote:Command").find((c) => c.inputs.connection.host === "10.20.0.11")!;
        assert.ok(tofu.dependencies.get(`command:remote:Command::${cmd.name}`)!.has(`${DYNAMIC}::node1-ssh-host-key`));
    });
});
