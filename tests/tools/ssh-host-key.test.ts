/**
 * L2: the SshHostKey check against a real OpenSSH sshd (Debian's, scripts/ci/install-tools.sh),
 * through the provider text Pulumi serializes and runs in its own process. The sshd's host key
 * is swapped between calls, as when a node is rebuilt on the same address.
 */
import * as assert from "assert";
import { ChildProcess, execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { fingerprint, sshHostKeyProvider } from "../../components/ssh-host-key";
import { engineEnv, REPO_ROOT, TOOLCHAIN_ROOT } from "../engine/toolchain";
import { callSerialized, serializeProvider } from "../support/services/serialized-provider";
import { freePort } from "../support/services/network";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "hha-sshd-"));


function newHostKey(name: string): { file: string; pub: string } {
    const file = path.join(tmp, name);
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", file]);
    return { file, pub: fs.readFileSync(`${file}.pub`, "utf8").trim() };
}

async function startSshd(port: number, hostKeyFile: string): Promise<ChildProcess> {
    fs.mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
    const proc = spawn("/usr/sbin/sshd", ["-D", "-e", "-f", "/dev/null", "-p", String(port), "-o", "ListenAddress=127.0.0.1", "-h", hostKeyFile, "-o", `PidFile=${tmp}/sshd-${port}.pid`], { stdio: "ignore" });
    for (let i = 0; i < 50; i++) {
        const up = await new Promise<boolean>((r) => {
            const s = net.connect(port, "127.0.0.1", () => (s.destroy(), r(true)));
            s.on("error", () => r(false));
        });
        if (up) return proc;
        await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error("sshd did not start");
}

const stop = (p: ChildProcess) => new Promise((r) => (p.once("exit", r), p.kill("SIGTERM")));

describe("L2 SSH host key check (real sshd, serialized provider)", function () {
    this.timeout(60_000);
    let file: string;
    let port: number;
    const first = newHostKey("first");
    const rebuilt = newHostKey("rebuilt");
    const props = (extra: Record<string, unknown> = {}) => ({ node: "node1", address: "127.0.0.1", port, ...extra });
    const check = async (olds: Record<string, unknown>, news: Record<string, unknown>) => {
        const r = await callSerialized(file, "check", [olds, news]);
        assert.ok(!r.error, r.error?.message);
        return r.result as { inputs: Record<string, unknown>; failures?: Array<{ property: string; reason: string }> };
    };

    before(async () => {
        ({ file } = await serializeProvider(sshHostKeyProvider));
        port = await freePort();
    });

    it("passes a pinned key the node presents, and fails a different one naming both fingerprints and the fix", async () => {
        const sshd = await startSshd(port, first.file);
        try {
            const ok = await check({}, props({ pinned: first.pub.split(" ").slice(0, 2).join(" ") }));
            assert.deepStrictEqual(ok.failures ?? [], []);
            assert.strictEqual(ok.inputs.key, first.pub.split(" ").slice(0, 2).join(" "));
            const bad = await check({}, props({ pinned: rebuilt.pub }));
            assert.strictEqual(bad.failures!.length, 1);
            const reason = bad.failures![0].reason;
            assert.match(reason, /SSH host key of node1 \(127\.0\.0\.1:\d+\) changed/);
            assert.ok(reason.includes(fingerprint(first.pub)) && reason.includes(fingerprint(rebuilt.pub)), reason);
            assert.match(reason, /Nothing was run on the node/);
            assert.match(reason, /set node1's hostKey in harbor-ha:nodes to 'ssh-ed25519 /);
        } finally {
            await stop(sshd);
        }
    });

    it("accept-new: records the first key seen, then refuses the node once its key changed", async () => {
        let sshd = await startSshd(port, first.file);
        let recorded: Record<string, unknown>;
        try {
            recorded = (await check({}, props())).inputs;
            assert.strictEqual(recorded.key, first.pub.split(" ").slice(0, 2).join(" "));
            const again = await check(recorded, props());
            assert.deepStrictEqual(again.failures ?? [], []);
        } finally {
            await stop(sshd);
        }
        sshd = await startSshd(port, rebuilt.file);
        try {
            const changed = await check(recorded, props());
            assert.match(changed.failures![0].reason, /not the key recorded in this stack at first contact/);
        } finally {
            await stop(sshd);
        }
    });

    it("a node that is down passes with its known key (nothing connects), but cannot be recorded", async () => {
        const known = await check({}, props({ pinned: first.pub }));
        assert.deepStrictEqual(known.failures ?? [], []);
        const fresh = await check({}, props());
        assert.match(fresh.failures![0].reason, /cannot read the SSH host key of node1 to record it/);
    });

    it("scripts/host-keys.sh prints the pin line for a node's real key (real pulumi CLI, file backend)", async function () {
        const cli = path.join(TOOLCHAIN_ROOT, "bin", "pulumi");
        if (!fs.existsSync(cli)) this.skip(); // the CLI comes from scripts/toolchain/install.sh (CI builds it)
        const dir = fs.mkdtempSync(path.join(tmp, "stack-"));
        fs.mkdirSync(path.join(dir, "backend"));
        fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: harbor-ha\nruntime: nodejs\n");
        const env = engineEnv({ PULUMI_BACKEND_URL: `file://${dir}/backend`, PULUMI_CONFIG_PASSPHRASE: "test" });
        const pulumi = (...args: string[]) => execFileSync(cli, args, { cwd: dir, env, encoding: "utf8" });
        pulumi("stack", "init", "t");
        pulumi("config", "set", "--path", "nodes[0].name", "node1");
        pulumi("config", "set", "--path", "nodes[0].address", "127.0.0.1");
        pulumi("config", "set", "--path", "nodes[0].sshPort", String(port));
        const sshd = await startSshd(port, first.file);
        let out: string;
        try {
            out = execFileSync("bash", [path.join(REPO_ROOT, "scripts/host-keys.sh")], { cwd: dir, env, encoding: "utf8" });
        } finally {
            await stop(sshd);
        }
        const key = first.pub.split(" ").slice(0, 2).join(" ");
        assert.ok(out.includes(`# node1 (127.0.0.1:${port}) ${fingerprint(first.pub)}`), out);
        const line = out.split("\n").find((l) => l.startsWith("pulumi config set"))!;
        assert.strictEqual(line, `pulumi config set --path 'nodes[0].hostKey' '${key}'`);
        execFileSync("bash", ["-c", line.replace(/^pulumi/, cli)], { cwd: dir, env });
        assert.strictEqual(JSON.parse(pulumi("config", "get", "nodes"))[0].hostKey, key);
    });
});
