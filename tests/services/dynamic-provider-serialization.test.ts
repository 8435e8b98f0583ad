/**
 * The dynamic providers, serialized as Pulumi serializes them and run in a separate Node process,
 * against real PostgreSQL and Redis: the code that runs during `pulumi up` is this text.
 */
import * as assert from "assert";
import type { DbTarget } from "../../components/database/types";
import { harborDatabaseProvider } from "../../components/database/harbor-database";
import { databaseReadinessProvider } from "../../components/database/database-readiness";
import { redisReadinessProvider } from "../../components/redis/redis-readiness";
import { databaseDumpImportProvider } from "../../components/database/database-dump-import";
import { fileSha256 } from "../../components/database/dump-import";
import { describeDatabase } from "../../components/database/provision";
import { dbVersionFloorFor } from "../../components/database/versions";
import { adminOf, freshTarget, TRICKY_PASSWORD } from "../support/services/database-cases";
import { PostgresInstance, startPostgres } from "../support/services/postgres";
import { RedisInstance, startRedis } from "../support/services/redis";
import { callSerialized, serializeProvider } from "../support/services/serialized-provider";

describe("dynamic providers serialized and run in their own process (real PostgreSQL, Redis)", function () {
    this.timeout(120_000);
    let pg: PostgresInstance;
    let redis: RedisInstance;

    before(async () => {
        [pg, redis] = await Promise.all([startPostgres(), startRedis("r3dis@:/%pw")]);
    });
    after(async () => {
        await Promise.all([pg?.stop(), redis?.stop()]);
    });

    it("HarborDatabase: serialized text requires drivers by name and carries no credentials", async () => {
        const { text } = await serializeProvider(harborDatabaseProvider);
        assert.match(text, /require\("pg"\)/);
        assert.match(text, /require\("mysql2\/promise"\)/);
        assert.ok(!text.includes(pg.adminPassword) && !text.includes(TRICKY_PASSWORD));
        console.log(`      serialized HarborDatabase provider: ${text.length} characters`);
    });

    it("HarborDatabase: check -> create -> diff -> delete(dropOnDestroy) through the serialized provider", async () => {
        const { file } = await serializeProvider(harborDatabaseProvider);
        const target: DbTarget = freshTarget("ser");
        const news = { server: pg.server, adminUser: pg.adminUser, adminPassword: pg.adminPassword, target, harborPassword: TRICKY_PASSWORD };
        const checked = (await callSerialized(file, "check", [{}, news])).result as { inputs: Record<string, unknown>; failures: unknown[] };
        assert.deepStrictEqual(checked.failures, []);
        const t = Date.now();
        const created = await callSerialized(file, "create", [checked.inputs]);
        assert.ok(!created.error, created.error?.message);
        console.log(`      create in a separate process: ${Date.now() - t} ms`);
        assert.deepStrictEqual(await describeDatabase(adminOf(pg), target), { databaseExists: true, userExists: true });
        const outs = (created.result as { outs: Record<string, unknown> }).outs;
        const diff = (await callSerialized(file, "diff", ["id", outs, checked.inputs])).result as { changes: boolean };
        assert.strictEqual(diff.changes, false);
        await callSerialized(file, "delete", ["id", { ...outs, dropOnDestroy: true }]);
        assert.deepStrictEqual(await describeDatabase(adminOf(pg), target), { databaseExists: false, userExists: false });
    });

    it("a failure surfaces as one line, with no stack frames and no password, exactly as Pulumi would print it", async () => {
        const { file } = await serializeProvider(harborDatabaseProvider);
        const inputs = { server: pg.server, adminUser: pg.adminUser, adminPassword: "wrong-admin-pw", adminDatabase: "postgres", target: freshTarget("ser"), harborPassword: TRICKY_PASSWORD, dropOnDestroy: false };
        const { error } = await callSerialized(file, "create", [inputs]);
        assert.ok(error);
        console.log(`      create with a wrong admin password -> ${error.message}`);
        assert.strictEqual(error.message, `postgresql 127.0.0.1:${pg.server.port}: authentication failed: password rejected for user "${pg.adminUser}"`);
        assert.strictEqual(error.stack, error.message);
    });

    it("DatabaseReadiness and RedisReadiness run from their serialized form", async () => {
        const target = freshTarget("ser");
        const db = await serializeProvider(harborDatabaseProvider);
        await callSerialized(db.file, "create", [{ server: pg.server, adminUser: pg.adminUser, adminPassword: pg.adminPassword, adminDatabase: "postgres", target, harborPassword: TRICKY_PASSWORD, dropOnDestroy: true }]);
        const ready = await serializeProvider(databaseReadinessProvider);
        const r = await callSerialized(ready.file, "create", [{ server: pg.server, target, harborPassword: TRICKY_PASSWORD, floor: dbVersionFloorFor("v2") }]);
        assert.ok(!r.error, r.error?.message);
        assert.match(String((r.result as { outs: { serverVersion: string } }).outs.serverVersion), /^\d+/);

        const redisProvider = await serializeProvider(redisReadinessProvider);
        const endpoint = { mode: "standalone", server: redis.server, tls: false, dbIndex: { core: 0, registry: 1, jobservice: 2, trivy: 5 }, idleTimeoutSeconds: 30, connectTimeoutSeconds: 2 };
        const ok = await callSerialized(redisProvider.file, "create", [{ endpoint, password: redis.password }]);
        assert.ok(!ok.error, ok.error?.message);
        const bad = await callSerialized(redisProvider.file, "create", [{ endpoint, password: "nope" }]);
        assert.strictEqual(bad.error?.message, `redis 127.0.0.1:${redis.server.port}: authentication failed: password rejected`);
        assert.strictEqual(bad.error?.stack, bad.error?.message);
    });

    it("DatabaseDumpImport: check hashes the dump file from its serialized form", async () => {
        const provider = await serializeProvider(databaseDumpImportProvider);
        const file = __filename;
        const r = await callSerialized(provider.file, "check", [{}, { server: pg.server, target: freshTarget("ser"), harborPassword: "x", path: file }]);
        const inputs = (r.result as { inputs: { sha256: string; force: boolean } }).inputs;
        assert.strictEqual(inputs.sha256, await fileSha256(file));
        assert.strictEqual(inputs.force, false);
    });
});
