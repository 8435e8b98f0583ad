/**
 * Importing a single-node Harbor's database dump into the external database, on real servers:
 * imported once, recorded by hash, refused on a target that already holds Harbor tables.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ensureDatabase } from "../../components/database/provision";
import { importDump } from "../../components/database/dump-import";
import { databaseDumpImportProvider } from "../../components/database/database-dump-import";
import { adminLogin, adminOf, assertOneLine, freshTarget, harborLogin, TRICKY_PASSWORD } from "../support/services/database-cases";
import { PostgresInstance, startPostgres } from "../support/services/postgres";
import { MariadbInstance, startMariadb } from "../support/services/mariadb";
import { listDatabases, rawQuery } from "../support/services/sql-access";
import { runClient } from "../support/services/processes";

const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "hha-dumps-"));
// Readable by the postgres/mysql system users when the servers run under them.
fs.chmodSync(workDir, 0o755);
after(() => fs.rmSync(workDir, { recursive: true, force: true }));

describe("dump import on real PostgreSQL (psql, as the Harbor user)", function () {
    this.timeout(120_000);
    let pg: PostgresInstance;
    const source = `harbor_single_${process.pid}`;
    const dumpFile = path.join(workDir, "pg-harbor.sql");
    const ownerDump = path.join(workDir, "pg-with-owners.sql");

    before(async () => {
        pg = await startPostgres();
        // A stand-in for the single-node Harbor's bundled database, with Harbor's marker tables.
        await rawQuery(pg.server, adminLogin(pg), `CREATE DATABASE ${source}`);
        const src = adminLogin(pg, source);
        await rawQuery(pg.server, src, "CREATE TABLE properties (k VARCHAR(64) PRIMARY KEY, v TEXT)");
        await rawQuery(pg.server, src, "CREATE TABLE harbor_user (user_id SERIAL PRIMARY KEY, username VARCHAR(255) UNIQUE)");
        await rawQuery(pg.server, src, "CREATE TABLE project (project_id SERIAL PRIMARY KEY, name VARCHAR(255), owner_id INT REFERENCES harbor_user(user_id))");
        await rawQuery(pg.server, src, "INSERT INTO properties VALUES ('auth_mode', 'db_auth'), ('quote''s', E'tab\\there;')");
        await rawQuery(pg.server, src, "INSERT INTO harbor_user (username) VALUES ('admin'), ('anonymous')");
        await rawQuery(pg.server, src, "INSERT INTO project (name, owner_id) VALUES ('library', 1)");
        const env = { PGHOST: "127.0.0.1", PGPORT: String(pg.server.port), PGUSER: pg.adminUser, PGPASSWORD: pg.adminPassword, PGDATABASE: source };
        await runClient(path.join(pg.binDir, "pg_dump"), ["--no-owner", "--no-privileges", "-Fp", "-f", dumpFile], env);
        await runClient(path.join(pg.binDir, "pg_dump"), ["-Fp", "-f", ownerDump], env);
    });
    after(async () => {
        if (pg) await pg.stop();
    });

    it("imports a pg_dump (COPY blocks included) once; the Harbor user owns the tables", async () => {
        const target = freshTarget("imp");
        await ensureDatabase(adminOf(pg), target, TRICKY_PASSWORD);
        const t = Date.now();
        const result = await importDump(pg.server, target, TRICKY_PASSWORD, { path: dumpFile }, { psql: path.join(pg.binDir, "psql") });
        console.log(`      [PostgreSQL] imported ${result.bytes} bytes (sha256 ${result.sha256.slice(0, 12)}…) in ${Date.now() - t} ms`);
        const rows = await rawQuery(pg.server, harborLogin(target, TRICKY_PASSWORD), "SELECT k, v FROM properties ORDER BY k");
        assert.deepStrictEqual(rows, [
            { k: "auth_mode", v: "db_auth" },
            { k: "quote's", v: "tab\there;" },
        ]);
        const owners = await rawQuery(pg.server, harborLogin(target, TRICKY_PASSWORD), "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'");
        assert.deepStrictEqual(owners.map((r) => r.tableowner), [target.user]);
        // Sequences came along: Harbor can insert the next user.
        await rawQuery(pg.server, harborLogin(target, TRICKY_PASSWORD), "INSERT INTO harbor_user (username) VALUES ('next')");

        const again = await importDump(pg.server, target, TRICKY_PASSWORD, { path: dumpFile }, { psql: path.join(pg.binDir, "psql") }).catch((e: Error) => e);
        assert.ok(again instanceof Error);
        console.log(`      [PostgreSQL] second import -> ${again.message}`);
        assertOneLine(again, `postgresql 127.0.0.1:${pg.server.port}`, "dump refused", [TRICKY_PASSWORD]);
        assert.match(again.message, /already holds Harbor tables \(harbor_user, project, properties\)/);
    });

    it("force on a non-empty target runs the dump, which fails and is rolled back as a whole", async () => {
        const target = freshTarget("imp");
        await ensureDatabase(adminOf(pg), target, TRICKY_PASSWORD);
        const psql = path.join(pg.binDir, "psql");
        await importDump(pg.server, target, TRICKY_PASSWORD, { path: dumpFile }, { psql });
        const forced = await importDump(pg.server, target, TRICKY_PASSWORD, { path: dumpFile, force: true }, { psql }).catch((e: Error) => e);
        assert.ok(forced instanceof Error);
        console.log(`      [PostgreSQL] forced re-import -> ${forced.message}`);
        assert.match(forced.message, /rolled back: .*already exists/);
        const rows = await rawQuery(pg.server, harborLogin(target, TRICKY_PASSWORD), "SELECT count(*)::int AS n FROM properties");
        assert.strictEqual(rows[0].n, 2, "nothing was added by the failed import");
    });

    it("refuses a dump that sets owners, naming the pg_dump options that avoid it", async () => {
        const target = freshTarget("imp");
        await ensureDatabase(adminOf(pg), target, TRICKY_PASSWORD);
        const err = await importDump(pg.server, target, TRICKY_PASSWORD, { path: ownerDump }, { psql: path.join(pg.binDir, "psql") }).catch((e: Error) => e);
        assert.ok(err instanceof Error);
        console.log(`      [PostgreSQL] dump with owners -> ${err.message}`);
        assert.match(err.message, /sets object owners; re-create the dump with pg_dump --no-owner --no-privileges/);
    });

    it("the dynamic provider records the file's hash; a changed file is an update, refused on the filled target; a deleted file after the import breaks nothing", async () => {
        const target = freshTarget("imp");
        await ensureDatabase(adminOf(pg), target, TRICKY_PASSWORD);
        const copy = path.join(workDir, "pg-copy.sql");
        fs.copyFileSync(dumpFile, copy);
        const checked = await databaseDumpImportProvider.check!({}, { server: pg.server, target, harborPassword: TRICKY_PASSWORD, path: copy });
        assert.deepStrictEqual(checked.failures, []);
        assert.match(String(checked.inputs.sha256), /^[0-9a-f]{64}$/);
        // The provider runs `psql` from PATH, as it would where pulumi runs.
        const oldPath = process.env.PATH;
        process.env.PATH = `${pg.binDir}:${oldPath}`;
        try {
            const created = await databaseDumpImportProvider.create(checked.inputs);
            assert.strictEqual(created.outs.sha256, checked.inputs.sha256);
            assert.ok(!("harborPassword" in created.outs), "the password is not kept in this resource's state");
            const same = await databaseDumpImportProvider.diff!(created.id, created.outs, checked.inputs);
            assert.strictEqual(same.changes, false);
            const forceOnly = await databaseDumpImportProvider.diff!(created.id, created.outs, { ...checked.inputs, force: true });
            assert.strictEqual(forceOnly.changes, false, "changing only force re-imports nothing");

            fs.appendFileSync(copy, "\n-- edited\n");
            const rechecked = await databaseDumpImportProvider.check!({}, { server: pg.server, target, harborPassword: TRICKY_PASSWORD, path: copy });
            const changed = await databaseDumpImportProvider.diff!(created.id, created.outs, rechecked.inputs);
            assert.deepStrictEqual([changed.changes, changed.replaces], [true, []]);
            const err = await databaseDumpImportProvider.update!(created.id, created.outs, rechecked.inputs).catch((e: Error) => e);
            assert.ok(err instanceof Error && /already holds Harbor tables/.test(err.message));

            // Imported once, the file may go: the next check keeps the recorded hash (no change),
            // and a database moved to an address written differently imports nothing again.
            fs.rmSync(copy);
            const gone = await databaseDumpImportProvider.check!(created.outs, { server: pg.server, target, harborPassword: TRICKY_PASSWORD, path: copy });
            assert.deepStrictEqual(gone.failures, []);
            assert.strictEqual((await databaseDumpImportProvider.diff!(created.id, created.outs, gone.inputs)).changes, false);
            const moved = await databaseDumpImportProvider.diff!(created.id, created.outs, { ...gone.inputs, server: { ...pg.server, host: "localhost" } });
            assert.strictEqual(moved.changes, false, "a move is not a re-import");
            const never = await databaseDumpImportProvider.check!({}, { server: pg.server, target, harborPassword: TRICKY_PASSWORD, path: copy });
            assert.match(never.failures![0].reason, /cannot be read; it is needed until the import has run once/);
        } finally {
            process.env.PATH = oldPath;
        }
    });
});

describe("dump import on real MariaDB (mysql2, as the Harbor user)", function () {
    this.timeout(120_000);
    let db: MariadbInstance;

    before(async () => {
        db = await startMariadb();
    });
    after(async () => {
        if (db) await db.stop();
    });

    it("Harbor 1.x registry.sql: its `drop database registry` is left out, the rest is imported into the target", async () => {
        // An unrelated database named like the one registry.sql drops: it must survive.
        await rawQuery(db.server, adminLogin(db), "CREATE DATABASE IF NOT EXISTS registry");
        await rawQuery(db.server, adminLogin(db), "CREATE TABLE registry.keepme (x INT)");
        const target = freshTarget("imp");
        await ensureDatabase(adminOf(db), target, TRICKY_PASSWORD);
        const file = path.join(workDir, "registry.sql");
        fs.writeFileSync(
            file,
            [
                "drop database if exists registry;",
                "create database registry charset = utf8;",
                "",
                "use registry;",
                "",
                "/*!40101 SET NAMES utf8 */;",
                "-- a comment; with a semicolon",
                "create table properties (",
                "  k varchar(64) NOT NULL, # another; comment",
                "  v varchar(128) NOT NULL,",
                "  PRIMARY KEY(k)",
                ") ENGINE=InnoDB DEFAULT CHARSET=utf8;",
                "insert into properties (k, v) values ('schema_version', '1.5.0'), ('odd', 'semi;colon \\'quote\\' \"dq\" `bt` -- not a comment');",
                "create table project (project_id int NOT NULL AUTO_INCREMENT, name varchar(255), PRIMARY KEY (project_id));",
                "insert into project (name) values ('library')",
            ].join("\n"),
        );
        const result = await importDump(db.server, target, TRICKY_PASSWORD, { path: file });
        console.log(`      [MariaDB] left out: ${result.skipped.join("; ")}`);
        assert.deepStrictEqual(result.skipped, ["line 1: drop `registry`", "line 2: create `registry`", "line 4: use `registry`"]);
        const rows = await rawQuery(db.server, harborLogin(target, TRICKY_PASSWORD), "SELECT k, v FROM properties ORDER BY k");
        assert.deepStrictEqual(rows, [
            { k: "odd", v: "semi;colon 'quote' \"dq\" `bt` -- not a comment" },
            { k: "schema_version", v: "1.5.0" },
        ]);
        const keep = await rawQuery(db.server, adminLogin(db), "SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'registry'");
        assert.deepStrictEqual(keep.map((r) => r.t), ["keepme"], "the database named in the dump was not dropped or touched");

        const again = await importDump(db.server, target, TRICKY_PASSWORD, { path: file }).catch((e: Error) => e);
        assert.ok(again instanceof Error);
        console.log(`      [MariaDB] second import -> ${again.message}`);
        assertOneLine(again, `mysql 127.0.0.1:${db.server.port}`, "dump refused", [TRICKY_PASSWORD]);
        assert.match(again.message, /already holds Harbor tables \(project, properties\)/);
    });

    // Harbor's own schema files: not in this repository (third-party source). Point
    // HARBOR_HA_V1_SCHEMA_DIR at a directory with `<tag>-registry.sql` files, e.g. from
    // `git show v1.5.4:make/photon/db/registry.sql` / `git show v1.1.2:make/common/db/registry.sql`.
    for (const tag of ["v1.5.4", "v1.1.2"]) {
        it(`Harbor ${tag}'s own registry.sql creates every table as the least-privilege Harbor user, who cannot touch other databases`, async function () {
            const file = process.env.HARBOR_HA_V1_SCHEMA_DIR && path.join(process.env.HARBOR_HA_V1_SCHEMA_DIR, `${tag}-registry.sql`);
            if (!file || !fs.existsSync(file)) {
                console.log(`      [skipped] ${tag}-registry.sql not found: set HARBOR_HA_V1_SCHEMA_DIR (Harbor's schema file is not shipped here)`);
                return this.skip();
            }
            const target = freshTarget(`s${tag.replace(/\W/g, "")}`);
            await ensureDatabase(adminOf(db), target, TRICKY_PASSWORD);
            const sql = fs.readFileSync(file, "utf8");
            const result = await importDump(db.server, target, TRICKY_PASSWORD, { path: file });
            console.log(`      [MariaDB] ${tag} registry.sql (${result.bytes} bytes) left out: ${result.skipped.join("; ")}`);
            const harbor = harborLogin(target, TRICKY_PASSWORD);
            const tables = await rawQuery(db.server, harbor, "SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY 1");
            const created = [...sql.matchAll(/create table (?:if not exists )?`?(\w+)`?/gi)].map((m) => m[1]).sort();
            assert.deepStrictEqual(tables.map((r) => r.t), [...new Set(created)].sort(), "every table of the schema exists");
            const admin = await rawQuery(db.server, harbor, "SELECT username FROM `user` WHERE user_id = 1");
            assert.deepStrictEqual(admin, [{ username: "admin" }], "the seed rows (admin user) were loaded");
            // Least privilege: nothing outside its own database.
            await rawQuery(db.server, adminLogin(db), "CREATE DATABASE IF NOT EXISTS other_app");
            for (const stmt of ["CREATE TABLE other_app.t (x INT)", "SELECT * FROM mysql.user", "CREATE DATABASE harbor_extra", "DROP DATABASE other_app"]) {
                const err = await rawQuery(db.server, harbor, stmt).then(() => undefined, (e: Error) => e);
                assert.ok(err, `the Harbor user may not: ${stmt}`);
                assert.match(err!.message, /denied/i, stmt);
            }
        });
    }

    it("a real mariadb-dump --databases output imports into a differently named target", async () => {
        const source = `single_${process.pid}`;
        await rawQuery(db.server, adminLogin(db), `CREATE DATABASE ${source} CHARACTER SET utf8mb4`);
        await rawQuery(db.server, adminLogin(db, source), "CREATE TABLE harbor_user (user_id INT AUTO_INCREMENT PRIMARY KEY, username VARCHAR(255))");
        await rawQuery(db.server, adminLogin(db, source), "INSERT INTO harbor_user (username) VALUES ('admin'), ('ünïcødé 🐳'), ('semi;colon')");
        const file = path.join(workDir, "mariadb-dump.sql");
        await runClient(
            "mariadb-dump",
            ["--no-defaults", "-h", "127.0.0.1", "-P", String(db.server.port), "-u", db.adminUser, "--databases", source, "--result-file", file],
            { MYSQL_PWD: db.adminPassword },
        );
        const target = freshTarget("imp");
        await ensureDatabase(adminOf(db), target, TRICKY_PASSWORD);
        const t = Date.now();
        const result = await importDump(db.server, target, TRICKY_PASSWORD, { path: file });
        console.log(`      [MariaDB] mariadb-dump import: ${result.bytes} bytes in ${Date.now() - t} ms; left out: ${result.skipped.join("; ")}`);
        assert.strictEqual(result.skipped.length, 2, "CREATE DATABASE and USE from --databases");
        const rows = await rawQuery(db.server, harborLogin(target, TRICKY_PASSWORD), "SELECT username FROM harbor_user ORDER BY user_id");
        assert.deepStrictEqual(rows.map((r) => r.username), ["admin", "ünïcødé 🐳", "semi;colon"]);
        assert.ok((await listDatabases(db.server, adminLogin(db))).includes(source));
    });

    it("refuses a dump holding several databases", async () => {
        const target = freshTarget("imp");
        await ensureDatabase(adminOf(db), target, TRICKY_PASSWORD);
        const file = path.join(workDir, "two.sql");
        fs.writeFileSync(file, "CREATE DATABASE a; USE a; CREATE TABLE t (x INT); CREATE DATABASE b; USE b; CREATE TABLE t (x INT);");
        const err = await importDump(db.server, target, TRICKY_PASSWORD, { path: file }).catch((e: Error) => e);
        assert.ok(err instanceof Error);
        assert.match(err.message, /dump refused: .* holds several databases \(a, b\)/);
        const tables = await rawQuery(db.server, harborLogin(target, TRICKY_PASSWORD), "SHOW TABLES");
        assert.strictEqual(tables.length, 0, "nothing was run");
    });
});
