/**
 * Loading a single-node Harbor's database dump into the external database (the original HA
 * design's migration step), as the Harbor user, into Harbor's database only.
 *
 * Safety rules:
 *  - refused if the target already holds Harbor tables, unless `force` (a second import would
 *    fail half-way or duplicate rows; `force` means "I emptied it / I know");
 *  - PostgreSQL: plain-SQL dumps (pg_dump -Fp) run by `psql` (needed for pg_dump's COPY blocks)
 *    with ON_ERROR_STOP in one transaction, so a failed import leaves nothing behind. psql must
 *    be installed where `pulumi up` runs (Debian: postgresql-client). Dumps that set owners
 *    (`ALTER ... OWNER TO`), reconnect (`\connect`) or create/drop databases are refused with the
 *    pg_dump options that avoid them: the Harbor user must own what it imports.
 *  - MySQL/MariaDB: statements sent with mysql2 (multipleStatements, dedicated connection, in
 *    bounded batches). Database-level statements are left out and the rest runs in the target
 *    database: Harbor 1.x's registry.sql begins with `drop database if exists registry; create
 *    database registry charset = utf8; use registry;`, which would otherwise wipe the database
 *    (the Harbor user holds ALL on it, DROP included); provisioning already created it as utf8,
 *    the character set that schema needs (database/mysql.ts). A dump naming two or more databases is refused. MySQL DDL is not transactional:
 *    a failed import can leave some tables behind (then empty the database and use `force`).
 *  - Passwords reach psql through its environment, never its command line.
 */
import { spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as readline from "readline";
import type { DbServer, DbTarget } from "./types";
import { connectTimeoutMs, dbFailure, describeServer, openMysql, openPostgres } from "./connection";
import { redact, serviceFailure } from "./failure";
import { batchStatements, databaseLevel, delimiterLine, DumpStatement, splitMysqlStatements } from "./mysql-statements";

/** Tables whose presence means "this database already holds Harbor data" (2.x and 1.x schemas). */
export const HARBOR_MARKER_TABLES = ["properties", "harbor_user", "project", "user", "schema_migrations", "alembic_version"];

export interface DumpSource {
    /** Path to the dump file (relative paths resolve against the Pulumi project directory). */
    path: string;
    /** Import even if the target already holds Harbor tables. */
    force?: boolean;
}

export interface DumpImportResult {
    sha256: string;
    bytes: number;
    /** MySQL only: database-level statements that were left out, as "line N: kind `db`". */
    skipped: string[];
}

/** SHA-256 of a file, streamed (dumps can be large). */
export async function fileSha256(path: string): Promise<string> {
    const hash = crypto.createHash("sha256");
    for await (const chunk of fs.createReadStream(path)) hash.update(chunk as Buffer);
    return hash.digest("hex");
}

/** Harbor marker tables present in the target database, as seen by the Harbor user. */
export async function harborTablesPresent(server: DbServer, target: DbTarget, password: string): Promise<string[]> {
    const login = { user: target.user, password, database: target.database };
    if (server.engine === "postgresql") {
        const c = await openPostgres(server, login);
        try {
            // pg_class shows every table whatever its owner; information_schema would hide some.
            const r = await c.query<{ relname: string }>(
                `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                  WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
                    AND n.nspname NOT LIKE 'pg_toast%' AND c.relname = ANY($1) ORDER BY 1`,
                [HARBOR_MARKER_TABLES],
            );
            return r.rows.map((row) => row.relname);
        } catch (err) {
            throw dbFailure(server, login, err);
        } finally {
            await c.end().catch(() => undefined);
        }
    }
    const c = await openMysql(server, login);
    try {
        const [rows] = await c.query(
            "SELECT TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME IN (?) ORDER BY 1",
            [target.database, HARBOR_MARKER_TABLES],
        );
        return (rows as Array<{ t: string }>).map((r) => r.t);
    } catch (err) {
        throw dbFailure(server, login, err);
    } finally {
        await c.end().catch(() => undefined);
    }
}

function refuse(server: DbServer, detail: string): Error {
    return serviceFailure(describeServer(server), "dump refused", detail);
}

/** Statements a plain pg_dump may contain that the Harbor user cannot or must not run. */
async function scanPostgresDump(server: DbServer, path: string): Promise<void> {
    const lines = readline.createInterface({ input: fs.createReadStream(path, "utf8"), crlfDelay: Infinity });
    let n = 0;
    for await (const line of lines) {
        n++;
        if (n === 1 && line.startsWith("PGDMP")) {
            throw refuse(server, `${path} is a custom-format dump; give a plain SQL dump (pg_dump -Fp, or pg_restore -f out.sql ${path})`);
        }
        if (/^\\(c|connect)\b/.test(line) || /^\s*(CREATE|DROP)\s+DATABASE\b/i.test(line)) {
            throw refuse(server, `${path} line ${n} switches or creates databases; dump only Harbor's database, without --create (pg_dump --no-owner --no-privileges -Fp <db>)`);
        }
        if (/^ALTER\s.*\sOWNER TO\s/i.test(line)) {
            throw refuse(server, `${path} line ${n} sets object owners; re-create the dump with pg_dump --no-owner --no-privileges so the Harbor user owns the tables`);
        }
    }
}

function runPsql(server: DbServer, target: DbTarget, password: string, path: string, psql: string): Promise<void> {
    return new Promise((resolve, reject) => {
        // Connection details by environment: values are never parsed as conninfo strings and
        // the password is not visible in the process list.
        const env = {
            ...process.env,
            PGHOST: server.host,
            PGPORT: String(server.port),
            PGUSER: target.user,
            PGDATABASE: target.database,
            PGPASSWORD: password,
            PGSSLMODE: server.sslmode,
            PGCONNECT_TIMEOUT: String(Math.ceil(connectTimeoutMs(server) / 1000)),
            PGAPPNAME: "harbor-ha-import",
        };
        const child = spawn(psql, ["-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-f", path], {
            env,
            stdio: ["ignore", "ignore", "pipe"],
        });
        let stderr = "";
        child.stderr!.on("data", (d) => (stderr += d));
        child.on("error", (err: NodeJS.ErrnoException) =>
            reject(
                err.code === "ENOENT"
                    ? serviceFailure(describeServer(server), "error", `${psql} not found; install the PostgreSQL client (Debian: postgresql-client) where pulumi runs`)
                    : err,
            ),
        );
        child.on("exit", (code) => {
            if (code === 0) return resolve();
            const first = stderr.split("\n").find((l) => /ERROR|FATAL|error/.test(l)) ?? stderr.trim().split("\n")[0] ?? `exit ${code}`;
            reject(serviceFailure(describeServer(server), "error", `import of ${path} failed and was rolled back: ${redact(first.trim(), [password])}`));
        });
    });
}

/** Splits the MySQL dump, drops database-level statements, and refuses what cannot be run. */
export function prepareMysqlDump(server: DbServer, sql: string, path: string): { statements: DumpStatement[]; skipped: string[] } {
    const delimiter = delimiterLine(sql);
    if (delimiter !== undefined) {
        throw refuse(server, `${path} line ${delimiter} uses the mysql client's DELIMITER command; dump without routines/triggers or run it with the mysql client`);
    }
    const statements: DumpStatement[] = [];
    const skipped: string[] = [];
    const named = new Set<string>();
    for (const s of splitMysqlStatements(sql)) {
        const level = databaseLevel(s);
        if (!level) {
            statements.push(s);
            continue;
        }
        named.add(level.database);
        skipped.push(`line ${level.line}: ${level.kind} \`${level.database}\``);
    }
    if (named.size > 1) {
        throw refuse(server, `${path} holds several databases (${[...named].join(", ")}); dump only Harbor's database`);
    }
    return { statements, skipped };
}

async function importMysql(server: DbServer, target: DbTarget, password: string, path: string): Promise<string[]> {
    const { statements, skipped } = prepareMysqlDump(server, await fs.promises.readFile(path, "utf8"), path);
    const login = { user: target.user, password, database: target.database };
    // A dedicated connection: multipleStatements is never enabled on connections that run
    // statements built from config values.
    const c = await openMysql(server, login, { multipleStatements: true });
    try {
        for (const batch of batchStatements(statements)) await c.query(batch);
    } catch (err) {
        throw dbFailure(server, login, err);
    } finally {
        await c.end().catch(() => undefined);
    }
    return skipped;
}

/**
 * Imports the dump into the target database as the Harbor user. Rejects, before touching
 * anything, if the target already holds Harbor tables and `force` is not set.
 */
export async function importDump(
    server: DbServer,
    target: DbTarget,
    password: string,
    dump: DumpSource,
    options: { psql?: string } = {},
): Promise<DumpImportResult> {
    let stat: fs.Stats;
    try {
        stat = await fs.promises.stat(dump.path);
    } catch {
        throw refuse(server, `dump file ${dump.path} not found`);
    }
    const sha256 = await fileSha256(dump.path);
    const present = await harborTablesPresent(server, target, password);
    if (present.length > 0 && !dump.force) {
        throw refuse(
            server,
            `database "${target.database}" already holds Harbor tables (${present.join(", ")}); not importing ${dump.path} over them (set force to import anyway)`,
        );
    }
    let skipped: string[] = [];
    if (server.engine === "postgresql") {
        await scanPostgresDump(server, dump.path);
        await runPsql(server, target, password, dump.path, options.psql ?? "psql");
    } else {
        skipped = await importMysql(server, target, password, dump.path);
    }
    return { sha256, bytes: stat.size, skipped };
}
