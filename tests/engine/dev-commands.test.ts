/**
 * Engine tier: the dev commands' stack handling with the real Pulumi CLI on a file backend
 * (no program run: the stack is created and removed empty). What a user trips over otherwise:
 * the salt written into the tracked Pulumi.dev.yaml, hints that fail in the user's own shell,
 * and `pulumi stack rm` deleting Pulumi.dev.yaml (it does, without --preserve-config). The data
 * directories are pointed into a scratch directory (HARBOR_HA_DEV_STACK_CONFIG), so a dev stack
 * running on this machine is not touched.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { engineEnv, engineTestsSkipped, REPO_ROOT, requireToolchain, TOOLCHAIN_ROOT } from "./toolchain";

const TRACKED = path.join(REPO_ROOT, "Pulumi.dev.yaml");
const md5 = (f: string) => crypto.createHash("md5").update(fs.readFileSync(f)).digest("hex");

function sh(cmd: string, env: Record<string, string>): { code: number; out: string } {
    const r = spawnSync("bash", ["-c", cmd], { cwd: REPO_ROOT, env, encoding: "utf8", timeout: 5 * 60 * 1000 });
    return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

describe("engine: dev-up's stack set-up and dev-down, real Pulumi CLI", function () {
    this.timeout(10 * 60 * 1000);
    let home: string;
    let data: string;
    let env: Record<string, string>;
    /** A user's shell: only HOME, PATH with pulumi on it, and the dev home. */
    let userShell: Record<string, string>;

    before(function () {
        if (engineTestsSkipped()) this.skip();
        requireToolchain([]);
        if (process.getuid?.() !== 0) throw new Error("dev-down runs as root; run this suite as root (the README's test command does)");
        const root = fs.mkdtempSync(path.join(os.tmpdir(), "dev-commands-"));
        home = path.join(root, "home");
        data = path.join(root, "data");
        const doc = YAML.parse(fs.readFileSync(TRACKED, "utf8"));
        doc.config["harbor-ha:storage"] = { ...doc.config["harbor-ha:storage"], mountPoint: `${data}/shared`, localRoot: `${data}/local` };
        doc.config["harbor-ha:devServices"] = { ...doc.config["harbor-ha:devServices"], postgresDataDir: `${data}/postgres` };
        doc.config["harbor-ha:loadBalancer"] = { ...doc.config["harbor-ha:loadBalancer"], haproxyDir: `${data}/haproxy` };
        const config = path.join(root, "Pulumi.dev.yaml");
        fs.writeFileSync(config, YAML.stringify(doc));
        const base = engineEnv({ HARBOR_HA_DEV_HOME: home, HARBOR_HA_DEV_STACK_CONFIG: config });
        delete base.PULUMI_CONFIG_PASSPHRASE;
        delete base.PULUMI_CONFIG_PASSPHRASE_FILE;
        delete base.PULUMI_BACKEND_URL;
        env = base;
        userShell = { HOME: os.homedir(), PATH: `${path.join(TOOLCHAIN_ROOT, "bin")}:/usr/bin:/bin`, HARBOR_HA_DEV_HOME: home, PULUMI_HOME: base.PULUMI_HOME, HARBOR_HA_DEV_STACK_CONFIG: config };
    });

    it("creates the stack with its state, passphrase and salt in HARBOR_HA_DEV_HOME; the tracked Pulumi.dev.yaml stays as it is", () => {
        const before = md5(TRACKED);
        const r = sh(". scripts/dev/env.sh && dev_stack_init && dev_write_config", env);
        assert.strictEqual(r.code, 0, r.out);
        assert.strictEqual(md5(TRACKED), before, "Pulumi.dev.yaml changed");
        assert.ok(!fs.readFileSync(TRACKED, "utf8").includes("encryptionsalt"));
        assert.strictEqual(fs.statSync(path.join(home, "passphrase")).mode & 0o777, 0o600);
        const cfg = fs.readFileSync(path.join(home, "Pulumi.dev.yaml"), "utf8");
        assert.match(cfg, /^encryptionsalt: v1:\S+\n/);
        assert.ok(cfg.includes("harbor-ha:nodes:"), "the stack config Pulumi reads lacks the user's config");
        assert.ok(fs.existsSync(path.join(home, "state", ".pulumi")), "no file backend in HARBOR_HA_DEV_HOME/state");
        // A second set-up keeps the stack and its salt.
        const salt = fs.readFileSync(path.join(home, "encryptionsalt"), "utf8");
        assert.strictEqual(sh(". scripts/dev/env.sh && dev_stack_init && dev_write_config", env).code, 0);
        assert.strictEqual(fs.readFileSync(path.join(home, "encryptionsalt"), "utf8"), salt);
    });

    it("the printed hint works in the user's own shell: scripts/dev-pulumi.sh reaches the stack from another directory", () => {
        const r = spawnSync(path.join(REPO_ROOT, "scripts/dev-pulumi.sh"), ["stack", "output", "--json", "--show-secrets"], { cwd: os.tmpdir(), env: userShell, encoding: "utf8" });
        assert.strictEqual(r.status, 0, `${r.stdout}${r.stderr}`);
        assert.deepStrictEqual(JSON.parse(r.stdout), {});
        const cfg = spawnSync(path.join(REPO_ROOT, "scripts/dev-pulumi.sh"), ["config", "get", "harbor-ha:harbor"], { cwd: os.tmpdir(), env: userShell, encoding: "utf8" });
        assert.strictEqual(cfg.status, 0, `${cfg.stdout}${cfg.stderr}`);
        assert.match(cfg.stdout, /"hostname":\s*"127\.0\.0\.1"/);
        const set = spawnSync(path.join(REPO_ROOT, "scripts/dev-pulumi.sh"), ["config", "set", "x", "y"], { env: userShell, encoding: "utf8" });
        assert.strictEqual(set.status, 2);
        assert.match(set.stderr, /edit Pulumi\.dev\.yaml instead/);
    });

    it("dev-down removes the stack, its data directories and HARBOR_HA_DEV_HOME, and keeps Pulumi.dev.yaml", () => {
        const before = md5(TRACKED);
        for (const d of ["shared/registry", "local/dev1", "postgres", "haproxy"]) {
            fs.mkdirSync(path.join(data, d), { recursive: true });
            fs.writeFileSync(path.join(data, d, "x"), "data");
        }
        const r = sh("bash scripts/dev-down.sh", env);
        assert.strictEqual(r.code, 0, r.out);
        assert.ok(fs.existsSync(TRACKED), "dev-down deleted Pulumi.dev.yaml");
        assert.strictEqual(md5(TRACKED), before);
        for (const d of ["shared", "local", "postgres", "haproxy"]) assert.ok(!fs.existsSync(path.join(data, d)), `${d} is still there`);
        assert.ok(!fs.existsSync(home), `${home} is still there`);
        const again = sh("bash scripts/dev-down.sh", env);
        assert.strictEqual(again.code, 0, again.out);
        assert.match(again.out, /no dev stack .* \(already removed\)/);
    });
});
