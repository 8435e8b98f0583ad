/**
 * The database test cases, written once and run against each real engine
 * (tests/services/database-postgres.test.ts, database-mariadb.test.ts).
 */
import * as assert from "assert";
import type { DbServer, DbTarget } from "../../../components/database/types";
import type { AdminConnection } from "../../../components/database/admin";
import { describeDatabase, ensureDatabase, setHarborPassword } from "../../../components/database/provision";
import { checkDatabaseReady } from "../../../components/database/readiness";
import { dbVersionFloorFor } from "../../../components/database/versions";
import { harborDatabaseProvider, HarborDatabaseProps } from "../../../components/database/harbor-database";
import { closedPort, silentListener } from "./network";
import { listDatabases, Login, rawQuery, rawQueryError } from "./sql-access";

export interface EngineUnderTest {
    server: DbServer;
    adminUser: string;
    adminPassword: string;
    stop(): Promise<void>;
}

/** Passwords with characters that break naive quoting. */
export const TRICKY_PASSWORD = `p'a"s\\s;--%@:/ w0rd`;
export const OTHER_PASSWORD = `second-'pass"-%41`;

export function adminOf(e: EngineUnderTest): AdminConnection {
    return { server: e.server, user: e.adminUser, password: e.adminPassword, database: e.server.engine === "postgresql" ? "postgres" : "" };
}

export function adminLogin(e: EngineUnderTest, database?: string): Login {
    return { user: e.adminUser, password: e.adminPassword, database: database ?? (e.server.engine === "postgresql" ? "postgres" : "") };
}

export function harborLogin(target: DbTarget, password: string, database = target.database): Login {
    return { user: target.user, password, database };
}

/** Milliseconds taken by `work`, and its error (which must occur). */
export async function timedFailure(work: () => Promise<unknown>): Promise<{ ms: number; error: Error }> {
    const start = Date.now();
    try {
        await work();
    } catch (error) {
        return { ms: Date.now() - start, error: error as Error };
    }
    throw new Error("expected a failure, but the call succeeded");
}

/** Asserts the one-line message shape every failure must have. */
export function assertOneLine(error: Error, where: string, cause: string, secrets: string[]): void {
    assert.ok(error.message.startsWith(where), `message should start with "${where}": ${error.message}`);
    assert.ok(error.message.includes(`: ${cause}`), `message should name the cause "${cause}": ${error.message}`);
    assert.ok(!error.message.includes("\n"), "message must be one line");
    assert.strictEqual(error.stack, error.message, "stack must carry no frames");
    for (const s of secrets) assert.ok(!error.message.includes(s), "message must not contain a password");
}

let counter = 0;
/** A fresh target per test so tests do not depend on each other. */
export function freshTarget(prefix = "reg"): DbTarget {
    counter++;
    return { database: `${prefix}_${process.pid}_${counter}`, user: `harbor_${process.pid}_${counter}` };
}

export function describeDatabaseEngine(label: string, start: () => Promise<EngineUnderTest>): void {
    describe(`database provisioning on real ${label}`, function () {
        this.timeout(120_000);
        let e: EngineUnderTest;
        const floor = dbVersionFloorFor("v2");
        const where = () => `${e.server.engine} 127.0.0.1:${e.server.port}`;

        before(async function () {
            this.timeout(120_000);
            const t = Date.now();
            e = await start();
            console.log(`      [${label}] server started on 127.0.0.1:${e.server.port} in ${Date.now() - t} ms`);
        });
        after(async () => {
            if (e) await e.stop();
        });

        it("creates database + user, then a second run creates nothing and keeps Harbor's data", async () => {
            const target = freshTarget();
            const first = await ensureDatabase(adminOf(e), target, TRICKY_PASSWORD);
            assert.deepStrictEqual(first, { createdDatabase: true, createdUser: true });
            const ready = await checkDatabaseReady(e.server, target, TRICKY_PASSWORD, floor);
            console.log(`      [${label}] Harbor user logged in; server version ${ready.serverVersion} (${ready.flavour})`);

            // Harbor core creates its own tables at start: the Harbor user must be able to.
            const asHarbor = harborLogin(target, TRICKY_PASSWORD);
            await rawQuery(e.server, asHarbor, "CREATE TABLE properties (k VARCHAR(64), v VARCHAR(64))");
            await rawQuery(e.server, asHarbor, "INSERT INTO properties VALUES ('auth_mode', 'db_auth')");
            await rawQuery(e.server, asHarbor, "ALTER TABLE properties ADD COLUMN note VARCHAR(10)");

            const second = await ensureDatabase(adminOf(e), target, TRICKY_PASSWORD);
            assert.deepStrictEqual(second, { createdDatabase: false, createdUser: false });
            const rows = await rawQuery(e.server, asHarbor, "SELECT v FROM properties");
            assert.deepStrictEqual(rows.map((r) => r.v), ["db_auth"]);
        });

        it("password change: the old password stops working, the new one works", async () => {
            const target = freshTarget();
            await ensureDatabase(adminOf(e), target, TRICKY_PASSWORD);
            await setHarborPassword(adminOf(e), target, OTHER_PASSWORD);
            await checkDatabaseReady(e.server, target, OTHER_PASSWORD, floor);
            const { error } = await timedFailure(() => checkDatabaseReady(e.server, target, TRICKY_PASSWORD, floor));
            assertOneLine(error, where(), "authentication failed", [TRICKY_PASSWORD, OTHER_PASSWORD]);
        });

        it("least privilege proven by the server: Harbor user cannot create a database or read another database", async () => {
            const target = freshTarget();
            await ensureDatabase(adminOf(e), target, TRICKY_PASSWORD);
            const other = `other_${process.pid}`;
            await rawQuery(e.server, adminLogin(e), `CREATE DATABASE ${other}`);
            await rawQuery(e.server, adminLogin(e, other), `CREATE TABLE ${e.server.engine === "mysql" ? `${other}.` : ""}secret_t (x INT)`);
            await rawQuery(e.server, adminLogin(e, other), `INSERT INTO ${e.server.engine === "mysql" ? `${other}.` : ""}secret_t VALUES (42)`);

            const asHarbor = harborLogin(target, TRICKY_PASSWORD);
            const create = await rawQueryError(e.server, asHarbor, "CREATE DATABASE hha_forbidden");
            console.log(`      [${label}] CREATE DATABASE as Harbor user -> ${create.code}: ${create.message}`);
            assert.match(String(create.code), /42501|ER_DBACCESS_DENIED_ERROR|ER_SPECIFIC_ACCESS_DENIED_ERROR/);

            const read =
                e.server.engine === "postgresql"
                    ? await rawQueryError(e.server, harborLogin(target, TRICKY_PASSWORD, other), "SELECT x FROM secret_t")
                    : await rawQueryError(e.server, asHarbor, `SELECT x FROM ${other}.secret_t`);
            console.log(`      [${label}] reading another database as Harbor user -> ${read.code}: ${read.message}`);
            assert.match(String(read.code), /42501|ER_TABLEACCESS_DENIED_ERROR|ER_DBACCESS_DENIED_ERROR/);
            if (e.server.engine === "postgresql") {
                const role = await rawQueryError(e.server, asHarbor, "CREATE ROLE hha_forbidden");
                assert.strictEqual(role.code, "42501");
            }
            await rawQuery(e.server, adminLogin(e), `DROP DATABASE ${other}`);
        });

        it("another Harbor database on the same server is closed to this Harbor user (PUBLIC revoked / exact grant)", async () => {
            // MySQL GRANT treats _ in database names as a wildcard: `harbor_db` would also
            // match `harborXdb` unless escaped. PostgreSQL: PUBLIC's CONNECT is revoked.
            const mine: DbTarget = { database: `hdb_${process.pid}`, user: `hu1_${process.pid}` };
            const lookalike: DbTarget = { database: `hdbX${process.pid}`, user: `hu2_${process.pid}` };
            await ensureDatabase(adminOf(e), mine, TRICKY_PASSWORD);
            await ensureDatabase(adminOf(e), lookalike, OTHER_PASSWORD);
            await rawQuery(e.server, harborLogin(lookalike, OTHER_PASSWORD), "CREATE TABLE t (x INT)");
            const err =
                e.server.engine === "postgresql"
                    ? await rawQueryError(e.server, harborLogin(mine, TRICKY_PASSWORD, lookalike.database), "SELECT 1")
                    : await rawQueryError(e.server, harborLogin(mine, TRICKY_PASSWORD), `SELECT * FROM ${lookalike.database}.t`);
            console.log(`      [${label}] ${mine.user} -> ${lookalike.database}: ${err.code}: ${err.message}`);
            assert.match(String(err.code), /42501|ER_TABLEACCESS_DENIED_ERROR|ER_DBACCESS_DENIED_ERROR/);
        });

        it("injection strings as database and user names are stored verbatim and run no SQL", async () => {
            const victim = `victim_${process.pid}`;
            await rawQuery(e.server, adminLogin(e), `CREATE DATABASE ${victim}`);
            const target: DbTarget = { database: `registry"; DROP DATABASE ${victim}; --`, user: `harbor'; DROP USER x; -- \`\\` };
            await ensureDatabase(adminOf(e), target, TRICKY_PASSWORD);
            await checkDatabaseReady(e.server, target, TRICKY_PASSWORD, floor);
            let names = await listDatabases(e.server, adminLogin(e));
            assert.ok(names.includes(victim), "the other database must still exist");
            assert.ok(names.includes(target.database), "the database exists under its literal name");

            const dropTarget = { ...target };
            await harborDatabaseProvider.delete!("x", { ...propsFor(target, TRICKY_PASSWORD), dropOnDestroy: true });
            names = await listDatabases(e.server, adminLogin(e));
            assert.ok(names.includes(victim), "dropping the odd-named database must not touch the other one");
            assert.ok(!names.includes(dropTarget.database));
        });

        it("wrong password: 'authentication failed', one line, no secret, bounded time", async () => {
            const target = freshTarget();
            await ensureDatabase(adminOf(e), target, TRICKY_PASSWORD);
            const { ms, error } = await timedFailure(() => checkDatabaseReady(e.server, target, "not-the-password", floor));
            console.log(`      [${label}] wrong password -> ${ms} ms: ${error.message}`);
            assertOneLine(error, where(), "authentication failed", ["not-the-password", TRICKY_PASSWORD]);
            assert.ok(ms < 5_000);
        });

        it("closed port (nothing listening on 127.0.0.1): 'unreachable: connection refused', fast", async () => {
            const port = await closedPort();
            const server = { ...e.server, port, connectTimeoutSeconds: 2 };
            const { ms, error } = await timedFailure(() => checkDatabaseReady(server, freshTarget(), TRICKY_PASSWORD, floor));
            console.log(`      [${label}] closed port -> ${ms} ms: ${error.message}`);
            assertOneLine(error, `${e.server.engine} 127.0.0.1:${port}`, "unreachable", [TRICKY_PASSWORD]);
            assert.match(error.message, /refused/);
            assert.ok(ms < 2_000);
        });

        it("unresponsive host (simulated: loopback listener that accepts and never answers): 'timeout' within the bound", async () => {
            const silent = await silentListener();
            try {
                const server = { ...e.server, port: silent.port, connectTimeoutSeconds: 2 };
                const { ms, error } = await timedFailure(() => checkDatabaseReady(server, freshTarget(), TRICKY_PASSWORD, floor));
                console.log(`      [${label}] silent listener -> ${ms} ms: ${error.message}`);
                assert.ok(silent.accepted() >= 1, "the client really connected");
                assertOneLine(error, `${e.server.engine} 127.0.0.1:${silent.port}`, "timeout", [TRICKY_PASSWORD]);
                assert.ok(ms >= 1_900 && ms <= 5_500, `took ${ms} ms; connect timeout 2 s, hard bound 5 s`);
            } finally {
                await silent.close();
            }
        });

        it("database missing: readiness says so", async () => {
            const target = freshTarget();
            await ensureDatabase(adminOf(e), target, TRICKY_PASSWORD);
            await rawQuery(e.server, adminLogin(e), `DROP DATABASE ${target.database}`);
            const { ms, error } = await timedFailure(() => checkDatabaseReady(e.server, target, TRICKY_PASSWORD, floor));
            console.log(`      [${label}] database missing -> ${ms} ms: ${error.message}`);
            assertOneLine(error, where(), "database missing", [TRICKY_PASSWORD]);
        });

        it("version floor above the server: 'version too old'", async () => {
            const target = freshTarget();
            await ensureDatabase(adminOf(e), target, TRICKY_PASSWORD);
            const { error } = await timedFailure(() => checkDatabaseReady(e.server, target, TRICKY_PASSWORD, { postgresql: "99", mariadb: "99", mysql: "99" }));
            console.log(`      [${label}] floor 99 -> ${error.message}`);
            assertOneLine(error, where(), "version too old", [TRICKY_PASSWORD]);
        });

        describe("through the dynamic provider's methods", () => {
            function propsFor2(target: DbTarget, password: string, dropOnDestroy = false): HarborDatabaseProps {
                return { ...propsFor(target, password), dropOnDestroy };
            }

            it("check applies defaults and rejects bad input with the property named", async () => {
                const target = freshTarget();
                const { inputs, failures } = await harborDatabaseProvider.check!({}, { server: e.server, adminUser: e.adminUser, adminPassword: e.adminPassword, target, harborPassword: "x" });
                assert.deepStrictEqual(failures, []);
                assert.strictEqual(inputs.dropOnDestroy, false);
                assert.strictEqual(inputs.adminDatabase, e.server.engine === "postgresql" ? "postgres" : "");
                const bad = await harborDatabaseProvider.check!({}, { server: { ...e.server, port: 70000 }, target: { database: "x".repeat(70), user: "u" } });
                const props = bad.failures!.map((f) => f.property);
                assert.ok(props.includes("server") && props.includes("target") && props.includes("harborPassword"), JSON.stringify(bad.failures));
            });

            it("create -> no-op diff -> password update in place -> delete keeps data -> delete with flag drops", async () => {
                const target = freshTarget();
                const props = propsFor2(target, TRICKY_PASSWORD);
                const created = await harborDatabaseProvider.create(props);
                assert.strictEqual(created.id, `${e.server.engine}://127.0.0.1:${e.server.port}/${target.database}`);
                await rawQuery(e.server, harborLogin(target, TRICKY_PASSWORD), "CREATE TABLE project (name VARCHAR(20))");
                await rawQuery(e.server, harborLogin(target, TRICKY_PASSWORD), "INSERT INTO project VALUES ('library')");

                const same = await harborDatabaseProvider.diff!(created.id, created.outs, { ...props });
                assert.strictEqual(same.changes, false);

                const newProps = propsFor2(target, OTHER_PASSWORD);
                const pwDiff = await harborDatabaseProvider.diff!(created.id, created.outs, newProps);
                assert.deepStrictEqual([pwDiff.changes, pwDiff.replaces], [true, []]);
                const updated = await harborDatabaseProvider.update!(created.id, created.outs, newProps);
                await checkDatabaseReady(e.server, target, OTHER_PASSWORD, floor);
                const rows = await rawQuery(e.server, harborLogin(target, OTHER_PASSWORD), "SELECT name FROM project");
                assert.deepStrictEqual(rows.map((r) => r.name), ["library"], "update in place keeps the data");

                await harborDatabaseProvider.delete!(created.id, updated.outs);
                assert.deepStrictEqual(await describeDatabase(adminOf(e), target), { databaseExists: true, userExists: true });
                const kept = await rawQuery(e.server, harborLogin(target, OTHER_PASSWORD), "SELECT name FROM project");
                assert.strictEqual(kept.length, 1, "default delete keeps the data");

                await harborDatabaseProvider.delete!(created.id, { ...updated.outs, dropOnDestroy: true });
                assert.deepStrictEqual(await describeDatabase(adminOf(e), target), { databaseExists: false, userExists: false });
                const read = await harborDatabaseProvider.read!(created.id, updated.outs);
                assert.strictEqual(read.id, "", "read reports a dropped database as gone");
            });

            it("diff: nothing replaces (a rename or a move is an update); unknowns count as changes; provider code is not compared", async () => {
                const target = freshTarget();
                const olds = { ...propsFor2(target, TRICKY_PASSWORD), __provider: "old code" };
                const rename = await harborDatabaseProvider.diff!("id", olds, { ...propsFor2({ ...target, database: "renamed" }, TRICKY_PASSWORD), __provider: "new code" });
                assert.deepStrictEqual([rename.changes, rename.replaces, rename.deleteBeforeReplace], [true, [], false]);
                const moved = await harborDatabaseProvider.diff!("id", olds, { ...olds, server: { ...e.server, host: "localhost", port: e.server.port } });
                assert.deepStrictEqual([moved.changes, moved.replaces], [true, []]);
                const unknown = await harborDatabaseProvider.diff!("id", olds, { ...olds, harborPassword: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" });
                assert.deepStrictEqual([unknown.changes, unknown.replaces], [true, []]);
                const codeOnly = await harborDatabaseProvider.diff!("id", olds, { ...olds, __provider: "edited code" });
                assert.strictEqual(codeOnly.changes, false);
            });

            it("the server's address written differently (127.0.0.1 -> localhost) updates in place and the data survives, even with dropOnDestroy", async () => {
                const target = freshTarget();
                const props = propsFor2(target, TRICKY_PASSWORD, true);
                const created = await harborDatabaseProvider.create(props);
                await rawQuery(e.server, harborLogin(target, TRICKY_PASSWORD), "CREATE TABLE project (name VARCHAR(20))");
                await rawQuery(e.server, harborLogin(target, TRICKY_PASSWORD), "INSERT INTO project VALUES ('library')");
                const moved = { ...props, server: { ...e.server, host: "localhost" } };
                const diff = await harborDatabaseProvider.diff!(created.id, created.outs, moved);
                assert.deepStrictEqual([diff.changes, diff.replaces, diff.deleteBeforeReplace], [true, [], false], "no delete-then-create");
                const updated = await harborDatabaseProvider.update!(created.id, created.outs, moved);
                assert.strictEqual(updated.outs.server.host, "localhost");
                const rows = await rawQuery(e.server, harborLogin(target, TRICKY_PASSWORD), "SELECT name FROM project");
                assert.deepStrictEqual(rows.map((r) => r.name), ["library"]);
                await harborDatabaseProvider.delete!(created.id, { ...updated.outs, dropOnDestroy: true });
            });

            it("a rename creates the new database in place and keeps the old one with its data", async () => {
                const target = freshTarget();
                const props = propsFor2(target, TRICKY_PASSWORD, true);
                const created = await harborDatabaseProvider.create(props);
                await rawQuery(e.server, harborLogin(target, TRICKY_PASSWORD), "CREATE TABLE project (name VARCHAR(20))");
                const renamed = { ...props, target: { ...target, database: `${target.database}_new` } };
                await harborDatabaseProvider.update!(created.id, created.outs, renamed);
                assert.deepStrictEqual(await describeDatabase(adminOf(e), target), { databaseExists: true, userExists: true }, "the old database stays");
                assert.strictEqual((await describeDatabase(adminOf(e), renamed.target)).databaseExists, true);
            });

            it("Harbor's user = the admin, or its database = the admin database: refused by check and by create, before any SQL", async () => {
                const adminDb = adminOf(e).database;
                const asAdmin = await harborDatabaseProvider.check!({}, { ...propsFor2(freshTarget(), TRICKY_PASSWORD), target: { database: freshTarget().database, user: e.adminUser } });
                assert.ok(asAdmin.failures!.some((f) => f.property === "target" && /is the admin login/.test(f.reason)), JSON.stringify(asAdmin.failures));
                await assert.rejects(harborDatabaseProvider.create({ ...propsFor2(freshTarget(), OTHER_PASSWORD), target: { database: freshTarget().database, user: e.adminUser } }), /is the admin login/);
                // The admin's password is unchanged: it still logs in.
                await rawQuery(e.server, adminLogin(e), "SELECT 1");
                if (adminDb) {
                    const onAdminDb = await harborDatabaseProvider.check!({}, { ...propsFor2(freshTarget(), TRICKY_PASSWORD), target: { database: adminDb, user: freshTarget().user } });
                    assert.ok(onAdminDb.failures!.some((f) => /is the admin database/.test(f.reason)), JSON.stringify(onAdminDb.failures));
                }
            });
        });

        function propsFor(target: DbTarget, password: string): HarborDatabaseProps {
            return {
                server: e.server,
                adminUser: e.adminUser,
                adminPassword: e.adminPassword,
                adminDatabase: adminOf(e).database,
                target,
                harborPassword: password,
                dropOnDestroy: false,
            };
        }
    });
}
