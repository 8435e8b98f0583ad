/**
 * L2: scripts/dev/preflight.ts (the first thing scripts/dev-up.sh runs) under real conditions of
 * this machine: a Docker socket nobody serves, a port held by a real listener, a registry that
 * refuses connections, the real Pulumi CLI with an empty plugin directory and downloads off.
 * Each failure must be one line, starting "dev-up: ", naming what is wrong and what to do.
 * One case uses a stand-in: a `pulumi` script that prints an older version, in the format the
 * real CLI prints (checked against the real binary first, when the toolchain is installed).
 */
import * as assert from "assert";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { REPO } from "../../scripts/dev/dev-stack";
import { engineEnv, TOOLCHAIN_ROOT } from "../engine/toolchain";

const REAL_PULUMI = path.join(TOOLCHAIN_ROOT, "bin", "pulumi");
const scratch = () => fs.mkdtempSync(path.join(os.tmpdir(), "dev-preflight-"));

/** Pulumi.dev.yaml with `edit` applied, in a scratch file. */
function devConfig(edit: (c: Record<string, any>) => void = () => undefined): string {
    const doc = YAML.parse(fs.readFileSync(path.join(REPO, "Pulumi.dev.yaml"), "utf8"));
    edit(doc.config);
    const file = path.join(scratch(), "Pulumi.dev.yaml");
    fs.writeFileSync(file, YAML.stringify(doc));
    return file;
}

function preflight(configFile: string, env: NodeJS.ProcessEnv): { code: number; lines: string[] } {
    const r = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(REPO, "scripts/dev/preflight.ts"), "--stack-config", configFile], {
        cwd: REPO, env: { ...env, TS_NODE_PROJECT: path.join(REPO, "tsconfig.json") }, encoding: "utf8", timeout: 90000,
    });
    const lines = `${r.stdout}${r.stderr}`.split("\n").filter(Boolean);
    return { code: r.status ?? -1, lines };
}

/** Every output line is a pre-flight line (no stack trace, no bare ENOENT). */
function assertOneLiners(lines: string[]): void {
    for (const l of lines) assert.match(l, /^dev-up: /, `not a pre-flight line: ${l}`);
}

function dockerUp(): boolean {
    return spawnSync("docker", ["version", "--format", "{{.Server.Version}}"], { encoding: "utf8", timeout: 10000 }).status === 0;
}

/** Docker-dependent cases: required with the lab on (CI), pending without it. */
function needDocker(ctx: Mocha.Context): void {
    if (dockerUp()) return;
    if (process.env.HARBOR_HA_LAB === "1") throw new Error("no Docker daemon answers; run `bash tests/lab/lab.sh prereqs` (the README's test command does this itself)");
    ctx.skip();
}

describe("L2 dev pre-flight (scripts/dev/preflight.ts)", function () {
    this.timeout(120000);

    it("no Docker daemon: one line naming the endpoint and how to start one", () => {
        const sock = path.join(scratch(), "nobody.sock");
        const r = preflight(devConfig(), { ...process.env, DOCKER_HOST: `unix://${sock}` });
        assert.strictEqual(r.code, 1);
        assertOneLiners(r.lines);
        const line = r.lines.find((l) => l.startsWith("dev-up: docker:"));
        assert.ok(line, r.lines.join("\n"));
        assert.match(line!, new RegExp(`no daemon answers at unix://${sock.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} .*start it \\(systemctl start docker\\)`));
        assert.ok(!r.lines.some((l) => l.includes("images:")), "image checks must not run without a daemon");
    });

    it("a port held by a real listener: one line naming the port, its config key and the holder", async function () {
        needDocker(this);
        const server = net.createServer();
        await new Promise<void>((res) => server.listen(0, "127.0.0.1", () => res()));
        const port = (server.address() as net.AddressInfo).port;
        try {
            const r = preflight(devConfig((c) => { c["harbor-ha:loadBalancer"].frontendPort = port; c["harbor-ha:harbor"].port = port; }), process.env);
            assert.strictEqual(r.code, 1);
            assertOneLiners(r.lines);
            const line = r.lines.find((l) => l.includes(`127.0.0.1:${port}/tcp`));
            assert.ok(line, r.lines.join("\n"));
            assert.match(line!, new RegExp(`\\(loadBalancer\\.frontendPort\\): in use by node \\(pid ${process.pid}\\); stop it, or change loadBalancer\\.frontendPort`));
        } finally {
            server.close();
        }
    });

    it("images neither on the engine nor pullable (a registry that refuses connections): one line per registry with the reason", async function () {
        needDocker(this);
        const closed = await new Promise<number>((res) => { const s = net.createServer().listen(0, "127.0.0.1", () => { const p = (s.address() as net.AddressInfo).port; s.close(() => res(p)); }); });
        const registry = `127.0.0.1:${closed}`;
        const r = preflight(devConfig((c) => {
            c["harbor-ha:harbor"].imageRegistry = `${registry}/goharbor`;
            c["harbor-ha:devServices"].postgresImage = `${registry}/library/postgres:16`;
            c["harbor-ha:devServices"].redisImage = `${registry}/library/redis:7`;
        }), process.env);
        assert.strictEqual(r.code, 1);
        assertOneLiners(r.lines);
        const lines = r.lines.filter((l) => l.startsWith("dev-up: images:"));
        assert.strictEqual(lines.length, 1, r.lines.join("\n"));
        assert.match(lines[0], new RegExp(`images: 9 not on the Docker engine and not pullable from ${registry} \\(.*(refused|connect).*\\): ${registry}/goharbor/harbor-log:v2\\.15\\.2, `));
        assert.match(lines[0], /point harbor\.imageRegistry .* at a registry that has them$/);
    });

    it("the real Pulumi CLI without the plugins and with downloads off: one line listing them and the install commands", function () {
        if (!fs.existsSync(REAL_PULUMI)) this.skip();
        const home = scratch();
        const env = { ...engineEnv(), PULUMI_HOME: home, PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true", PATH: `${path.dirname(REAL_PULUMI)}:${process.env.PATH}` };
        const r = preflight(devConfig(), env);
        assert.strictEqual(r.code, 1);
        assertOneLiners(r.lines);
        const line = r.lines.find((l) => l.startsWith("dev-up: pulumi plugins"));
        assert.ok(line, r.lines.join("\n"));
        assert.match(line!, /command v1\.2\.1, docker v5\.0\.0, random v4\.21\.1, tls v5\.5\.1: not installed, and automatic plugin downloads are off .*pulumi plugin install resource docker 5\.0\.0/);
    });

    it("an unsupported Pulumi CLI version (stand-in printing the real CLI's format) and no CLI at all", function () {
        if (fs.existsSync(REAL_PULUMI)) {
            const real = execFileSync(REAL_PULUMI, ["version"], { env: engineEnv(), encoding: "utf8" });
            assert.match(real, /^v\d+\.\d+\.\d+\n$/, "the real CLI's `pulumi version` format changed: update the stand-in");
        }
        const bin = scratch();
        fs.writeFileSync(path.join(bin, "pulumi"), "#!/bin/sh\n[ \"$1\" = version ] && echo v3.100.0\n", { mode: 0o755 });
        const old = preflight(devConfig(), { ...process.env, PATH: `${bin}:/usr/bin:/bin` });
        assertOneLiners(old.lines);
        assert.ok(old.lines.some((l) => /^dev-up: pulumi: v3\.100\.0 is not supported \(need >= v3\.248\.0 and < v4\); install a supported one: curl -fsSL https:\/\/get\.pulumi\.com/.test(l)), old.lines.join("\n"));

        const none = preflight(devConfig(), { ...process.env, PATH: "/usr/bin:/bin" });
        assert.strictEqual(none.code, 1);
        assert.ok(none.lines.some((l) => l.startsWith("dev-up: pulumi: not installed; install it: curl -fsSL https://get.pulumi.com | sh")), none.lines.join("\n"));
    });

    it("a bad stack config: the config problems, one per line, before any machine check", () => {
        const r = preflight(devConfig((c) => { c["harbor-ha:nodes"][1].listenAddress = "0.0.0.1"; }), process.env);
        assert.strictEqual(r.code, 1);
        assertOneLiners(r.lines);
        assert.ok(r.lines.every((l) => l.includes("harbor-ha:nodes[1].listenAddress")), r.lines.join("\n"));
    });
});
