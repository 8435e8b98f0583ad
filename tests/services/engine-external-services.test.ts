/**
 * ExternalDatabase + ExternalRedis through the real Pulumi engine (the project's toolchain from
 * scripts/toolchain/install.sh, file:// backend, passphrase secrets) against real PostgreSQL and
 * Redis: up, no-change preview, secrets encrypted in state, password change = in-place update,
 * a readiness failure stops `up` with one line, destroy keeps the database.
 *
 * Like tests/engine, this FAILS when the toolchain is missing (with the build instructions) and
 * is skipped only with HARBOR_HA_ENGINE_TESTS=skip.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LocalWorkspace, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import { engineEnv, engineTestsSkipped, nonSameChanges, readAllState, requireToolchain, TOOLCHAIN_ROOT, PULUMI_HOME } from "../engine/toolchain";
import { describeDatabase } from "../../components/database/provision";
import { checkDatabaseReady } from "../../components/database/readiness";
import { dbVersionFloorFor } from "../../components/database/versions";
import { adminOf } from "../support/services/database-cases";
import { PostgresInstance, startPostgres } from "../support/services/postgres";
import { RedisInstance, startRedis } from "../support/services/redis";

const REPO_ROOT = path.resolve(__dirname, "../..");
const log = (msg: string) => console.log(`      [engine] ${msg}`);

(engineTestsSkipped() ? describe.skip : describe)("ExternalDatabase + ExternalRedis through the real Pulumi engine", function () {
    this.timeout(10 * 60 * 1000);
    let pg: PostgresInstance;
    let redis: RedisInstance;
    let stack: Stack;
    let dir: string;
    const harborPassword = `h4rbor-'"%@:/-${process.pid}`;
    const newHarborPassword = `changed-${process.pid}-%@`;
    const redisPassword = `r3dis@:/%-${process.pid}`;
    const target = { database: "registry", user: "harbor" };

    before(async function () {
        const info = requireToolchain([]);
        log(`pulumi ${info.cliVersion}; language host: ${info.languageHost}`);
        [pg, redis] = await Promise.all([startPostgres(), startRedis(redisPassword)]);
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "hha-engine-services-"));
        const programDir = path.join(dir, "program");
        const backendDir = path.join(dir, "backend");
        fs.mkdirSync(backendDir);
        fs.cpSync(path.join(__dirname, "../support/services/engine-program"), programDir, { recursive: true });
        fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(programDir, "node_modules"), "dir");
        fs.writeFileSync(path.join(programDir, "package.json"), JSON.stringify({ name: "harbor-ha-services-engine", private: true, main: "index.ts" }));
        const envVars = engineEnv({ PULUMI_BACKEND_URL: `file://${backendDir}`, PULUMI_CONFIG_PASSPHRASE: `pass-${path.basename(dir)}` });
        const pulumiCommand = await PulumiCommand.get({ root: TOOLCHAIN_ROOT, skipVersionCheck: true });
        stack = await LocalWorkspace.createStack({ stackName: "services", workDir: programDir }, { pulumiCommand, envVars, pulumiHome: PULUMI_HOME, secretsProvider: "passphrase" });
        await stack.setAllConfig({
            repoRoot: { value: REPO_ROOT },
            dbServer: { value: JSON.stringify(pg.server) },
            dbTarget: { value: JSON.stringify(target) },
            adminUser: { value: pg.adminUser },
            adminPassword: { value: pg.adminPassword, secret: true },
            harborPassword: { value: harborPassword, secret: true },
            redisEndpoint: {
                value: JSON.stringify({ mode: "standalone", server: redis.server, tls: false, dbIndex: { core: 0, registry: 1, jobservice: 2, trivy: 5 }, idleTimeoutSeconds: 30, connectTimeoutSeconds: 2 }),
            },
            redisPassword: { value: redisPassword, secret: true },
        });
    });
    after(async () => {
        await Promise.all([pg?.stop(), redis?.stop()]);
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("up provisions and checks both; outputs are secret where they carry passwords", async () => {
        const t = Date.now();
        const up = await stack.up({ color: "never" });
        log(`first up: ${JSON.stringify(up.summary.resourceChanges)} in ${Date.now() - t} ms`);
        assert.strictEqual(up.summary.result, "succeeded");
        assert.match(String(up.outputs.dbReady.value), /^1\d\./);
        assert.strictEqual(up.outputs.redisReady.value, `127.0.0.1:${redis.server.port}`);
        assert.strictEqual(up.outputs.dbPassword.secret, true);
        assert.strictEqual(up.outputs.redisUrls.secret, true);
        assert.strictEqual(up.outputs.dbHost.secret, false);
        await checkDatabaseReady(pg.server, target, harborPassword, dbVersionFloorFor("v2"));
    });

    it("preview after up shows no change (diff ignores the serialized provider)", async () => {
        const preview = await stack.preview({ color: "never" });
        assert.deepStrictEqual(nonSameChanges(preview.changeSummary), {});
    });

    it("no password appears in plain text anywhere in the backend", () => {
        const state = readAllState(path.join(dir, "backend"));
        for (const secret of [harborPassword, newHarborPassword, redisPassword, pg.adminPassword, encodeURIComponent(redisPassword)]) {
            assert.ok(!state.includes(secret), "a password is in the state in plain text");
        }
    });

    it("a Harbor password change is an in-place update; the new password works", async () => {
        await stack.setConfig("harborPassword", { value: newHarborPassword, secret: true });
        const t = Date.now();
        const up = await stack.up({ color: "never" });
        log(`password change: ${JSON.stringify(up.summary.resourceChanges)} in ${Date.now() - t} ms`);
        const changes = nonSameChanges(up.summary.resourceChanges);
        assert.ok(changes.update >= 2, "HarborDatabase and DatabaseReadiness updated");
        assert.ok(!changes.create && !changes.delete && !changes.replace, JSON.stringify(changes));
        await checkDatabaseReady(pg.server, target, newHarborPassword, dbVersionFloorFor("v2"));
    });

    it("a wrong Redis password stops `up` with the one-line reason and no secret", async () => {
        await stack.setConfig("redisPassword", { value: "wrong-redis-pw", secret: true });
        const t = Date.now();
        const err = await stack.up({ color: "never" }).catch((e: Error) => e);
        const ms = Date.now() - t;
        assert.ok(err instanceof Error, "up must fail");
        const line = err.message.split("\n").find((l) => l.includes("authentication failed"));
        log(`failed up after ${ms} ms: ${line?.trim()}`);
        assert.ok(line && line.includes(`redis 127.0.0.1:${redis.server.port}: authentication failed: password rejected`), err.message.slice(-1500));
        assert.ok(!err.message.includes("wrong-redis-pw") && !err.message.includes(redisPassword));
        assert.ok(!/\n\s+at .*\.(js|ts):\d+/.test(err.message), "no stack trace in the engine output");
        await stack.setConfig("redisPassword", { value: redisPassword, secret: true });
    });

    it("destroy leaves the database and the user in place (dropOnDestroy defaults to false)", async () => {
        const destroy = await stack.destroy({ color: "never" });
        assert.strictEqual(destroy.summary.result, "succeeded");
        assert.deepStrictEqual(await describeDatabase(adminOf(pg), target), { databaseExists: true, userExists: true });
    });
});
