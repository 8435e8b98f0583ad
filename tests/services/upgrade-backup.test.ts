/**
 * L3: the backup taken before a Harbor schema migration (components/upgrade/backup.ts), against
 * real servers and their real client tools: the dump restores (with pg_restore / the mysql
 * client, not with our own code) into a scratch database with the same rows; a failed dump
 * fails the step with one line, no password and no file that could pass for a backup; and the
 * step runs once per target version.
 */
import * as assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ensureDatabase } from "../../components/database/provision";
import type { DbServer, DbTarget } from "../../components/database/types";
import { databaseBackupProvider, DatabaseBackupProps } from "../../components/upgrade/backup";
import { adminLogin, adminOf, assertOneLine, EngineUnderTest, freshTarget, harborLogin, TRICKY_PASSWORD } from "../support/services/database-cases";
import { startMariadb } from "../support/services/mariadb";
import { startPostgres } from "../support/services/postgres";
import { runClient } from "../support/services/processes";
import { rawQuery } from "../support/services/sql-access";

const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "hha-backups-"));
after(() => fs.rmSync(workDir, { recursive: true, force: true }));


/** Harbor-like tables with rows, as the Harbor user (who owns them, as after Harbor's own migration). */
const SEED = [
    "CREATE TABLE schema_migrations (version BIGINT NOT NULL PRIMARY KEY, dirty BOOLEAN NOT NULL)",
    "INSERT INTO schema_migrations VALUES (171, false)",
    "CREATE TABLE project (project_id INT PRIMARY KEY, name VARCHAR(255) NOT NULL)",
    "CREATE TABLE artifact (id INT PRIMARY KEY, project_id INT NOT NULL, digest VARCHAR(255) NOT NULL)",
];
const TABLES = ["schema_migrations", "project", "artifact"];

async function seed(server: DbServer, target: DbTarget): Promise<Record<string, number>> {
    const login = harborLogin(target, TRICKY_PASSWORD);
    for (const sql of SEED) await rawQuery(server, login, sql);
    for (let i = 1; i <= 40; i++) await rawQuery(server, login, `INSERT INTO project VALUES (${i}, 'p''${i}')`);
    const rows = Array.from({ length: 500 }, (_, i) => `(${i + 1}, ${(i % 40) + 1}, 'sha256:${crypto.createHash("sha256").update(String(i)).digest("hex")}')`);
    await rawQuery(server, login, `INSERT INTO artifact VALUES ${rows.join(",")}`);
    return counts(server, login);
}

async function counts(server: DbServer, login: { user: string; password: string; database: string }): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const t of TABLES) out[t] = Number((await rawQuery(server, login, `SELECT count(*) AS n FROM ${t}`))[0].n);
    return out;
}

const props = (server: DbServer, target: DbTarget, directory: string, over: Partial<DatabaseBackupProps> = {}): DatabaseBackupProps => ({
    server, target, password: TRICKY_PASSWORD, directory, stack: "prod", kind: "upgrade", from: "v2.14.1", to: "v2.15.2", enabled: true, ...over,
});

interface Case {
    label: string;
    start(): Promise<EngineUnderTest & { binDir?: string }>;
    /** Restores `file` into the (empty, existing) database `db` with the engine's own client. */
    restore(e: EngineUnderTest & { binDir?: string }, file: string, db: string): Promise<void>;
    /** Creates an empty scratch database. */
    scratch(e: EngineUnderTest, db: string): Promise<void>;
}

const CASES: Case[] = [
    {
        label: "PostgreSQL (pg_dump -Fc, restored with pg_restore)",
        start: startPostgres,
        scratch: async (e, db) => void (await rawQuery(e.server, adminLogin(e), `CREATE DATABASE ${db}`)),
        restore: (e, file, db) =>
            runClient(path.join(e.binDir!, "pg_restore"), ["--no-owner", "--exit-on-error", "-d", db, file], { PGHOST: e.server.host, PGPORT: String(e.server.port), PGUSER: e.adminUser, PGPASSWORD: e.adminPassword }),
    },
    {
        label: "MariaDB (mysqldump, restored with the mysql client)",
        start: startMariadb,
        scratch: async (e, db) => void (await rawQuery(e.server, adminLogin(e), `CREATE DATABASE ${db}`)),
        restore: (e, file, db) => {
            const cnf = path.join(workDir, "restore.cnf");
            fs.writeFileSync(cnf, `[client]\npassword="${e.adminPassword.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"\n`, { mode: 0o600 });
            return runClient("mysql", [`--defaults-extra-file=${cnf}`, "-h", e.server.host, "-P", String(e.server.port), "-u", e.adminUser, db], {}, file);
        },
    },
];

for (const c of CASES) {
    describe(`L3 upgrade backup on real ${c.label}`, function () {
        this.timeout(180_000);
        let e: EngineUnderTest & { binDir?: string };
        let target: DbTarget;
        let seeded: Record<string, number>;
        let savedPath: string | undefined;

        before(async () => {
            e = await c.start();
            // The provider runs pg_dump / mysqldump from PATH, as it would where pulumi runs.
            savedPath = process.env.PATH;
            if (e.binDir) process.env.PATH = `${e.binDir}${path.delimiter}${savedPath}`;
            target = freshTarget("bak");
            await ensureDatabase(adminOf(e), target, TRICKY_PASSWORD);
            seeded = await seed(e.server, target);
        });
        after(async () => {
            process.env.PATH = savedPath;
            if (e) await e.stop();
        });

        it("writes a dump that restores into a scratch database with every row; its SHA-256 and size are recorded", async () => {
            const dir = fs.mkdtempSync(path.join(workDir, "dir-"));
            const t = Date.now();
            const created = await databaseBackupProvider.create(props(e.server, target, path.join(dir, "backups")));
            const outs = created.outs as Record<string, unknown>;
            const file = String(outs.path);
            console.log(`      [${c.label.split(" ")[0]}] dump of ${JSON.stringify(seeded)}: ${outs.bytes} bytes in ${Date.now() - t} ms -> ${path.basename(file)}`);
            assert.match(path.basename(file), /^harbor-prod-v2\.14\.1-before-v2\.15\.2-\d{8}T\d{6}Z\.(dump|sql)$/);
            assert.strictEqual(outs.sha256, crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex"));
            assert.strictEqual(outs.bytes, fs.statSync(file).size);
            assert.strictEqual(outs.skipped, "");
            assert.ok(!("password" in outs), "the password is not kept in the backup's state");
            assert.strictEqual(fs.statSync(path.dirname(file)).mode & 0o777, 0o700, "the backup directory is private");
            const scratch = `restored_${process.pid}_${Date.now() % 100000}`;
            await c.scratch(e, scratch);
            await c.restore(e, file, scratch);
            assert.deepStrictEqual(await counts(e.server, adminLogin(e, scratch)), seeded);
        });

        it("a failing dump fails the step in one line without the password, and leaves no file behind", async () => {
            const dir = fs.mkdtempSync(path.join(workDir, "dir-"));
            const err = await databaseBackupProvider.create(props(e.server, target, dir, { password: `${TRICKY_PASSWORD}-wrong` })).catch((x: Error) => x);
            assert.ok(err instanceof Error, "the step fails");
            console.log(`      [${c.label.split(" ")[0]}] wrong password -> ${err.message}`);
            assertOneLine(err, `backup of ${e.server.engine} 127.0.0.1:${e.server.port}/${target.database}`, e.server.engine === "postgresql" ? "pg_dump failed" : "mysqldump failed", [TRICKY_PASSWORD]);
            assert.match(err.message, /authentication failed|Access denied/);
            assert.match(err.message, /the change to v2\.15\.2 stopped before anything was frozen or migrated \(Harbor still runs v2\.14\.1\)/);
            assert.deepStrictEqual(fs.readdirSync(dir), [], "no dump and no partial file");
        });

        it("runs once per target version: nothing is dumped on install or an unchanged version, and the next up sees no change", async () => {
            const dir = fs.mkdtempSync(path.join(workDir, "dir-"));
            for (const kind of ["install", "steady"] as const) {
                const r = await databaseBackupProvider.create(props(e.server, target, dir, { kind }));
                assert.notStrictEqual((r.outs as Record<string, unknown>).skipped, "", kind);
            }
            assert.deepStrictEqual(fs.readdirSync(dir), []);
            const created = await databaseBackupProvider.create(props(e.server, target, dir));
            // The next run: same target version, now "steady", reached with a rotated password.
            const next = props(e.server, target, dir, { kind: "steady", from: "v2.15.2", password: "rotated" });
            assert.strictEqual((await databaseBackupProvider.diff!(created.id, created.outs, next)).changes, false);
            assert.strictEqual(fs.readdirSync(dir).length, 1, "one dump for this upgrade");
        });
    });
}
