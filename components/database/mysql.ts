/**
 * MySQL / MariaDB provisioning for Harbor 1.x.
 *
 * Character set: utf8 (3 bytes a character), as Harbor 1.x's own registry.sql creates it
 * (`create database registry charset = utf8`). Not utf8mb4: its schema has columns such as
 * `tags varchar(...)` that exceed the row limit at 4 bytes a character, so loading the
 * release's registry.sql into a utf8mb4 database fails ("Column length too big for column
 * 'tags'"), found by loading v1.5.4's and v1.1.2's real schema files.
 *
 * Privilege model: a utf8 database and one user `'<user>'@'%'` with ALL PRIVILEGES on that
 * database only (Harbor 1.x's schema and migrator need DDL on it), nothing global. The user's
 * password is sent as a mysql_native_password hash, which keeps the plaintext out of the server's
 * logs and pins the plugin Harbor 1.x's old Go driver understands.
 *
 * Escaping: identifiers through mysql2's `escapeId(name, true)` (no `a.b` splitting), values
 * through `format`'s `?`. In GRANT the database name is a LIKE pattern, so `_` and `%` are
 * additionally backslash-escaped: without that, a grant on `harbor_db` also covers `harborXdb`.
 */
import type { Connection as MysqlConnection } from "mysql2/promise";
import type { DbTarget } from "./types";
import type { AdminConnection, DatabaseState, EnsureReport } from "./admin";
import { dbFailure, openMysql } from "./connection";
import { compareVersions, mysqlFlavour } from "./versions";
import { mysqlNativeHash } from "./scram";

/** Harbor's nodes connect from several addresses, so the account is not bound to one host. */
export const MYSQL_USER_HOST = "%";

function sql(): typeof import("mysql2/promise") {
    // Required at call time: see connection.ts on why drivers are not imported at module level.
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    return require("mysql2/promise");
}

async function withAdmin<T>(admin: AdminConnection, work: (c: MysqlConnection, version: string) => Promise<T>): Promise<T> {
    const login = { user: admin.user, password: admin.password, database: admin.database };
    const conn = await openMysql(admin.server, login);
    try {
        // format()'s escaping relies on backslash escapes; make sure the session honours them.
        await conn.query("SET SESSION sql_mode = REPLACE(@@sql_mode, 'NO_BACKSLASH_ESCAPES', '')");
        const [rows] = await conn.query("SELECT VERSION() AS v");
        return await work(conn, String((rows as Array<{ v: string }>)[0].v));
    } catch (err) {
        throw dbFailure(admin.server, login, err);
    } finally {
        await conn.end().catch(() => undefined);
    }
}

/** `'user'@'%'` with both parts escaped as string literals. */
function account(target: DbTarget): string {
    return sql().format("?@?", [target.user, MYSQL_USER_HOST]);
}

/** The database name as a GRANT pattern: wildcards escaped, then quoted as an identifier. */
function grantDatabase(database: string): string {
    return sql().escapeId(database.replace(/([\\_%])/g, "\\$1"), true);
}

/** The authentication clause for CREATE/ALTER USER on this server version. */
function identifiedClause(version: string, password: string): string {
    const { format } = sql();
    if (mysqlFlavour(version) === "mariadb") return format("IDENTIFIED BY PASSWORD ?", [mysqlNativeHash(password)]);
    // MySQL 8.4 no longer loads mysql_native_password by default: let the server hash it.
    if (compareVersions(version, "8.4") >= 0) return format("IDENTIFIED BY ?", [password]);
    if (compareVersions(version, "5.7.6") >= 0) return format("IDENTIFIED WITH mysql_native_password AS ?", [mysqlNativeHash(password)]);
    return format("IDENTIFIED BY PASSWORD ?", [mysqlNativeHash(password)]);
}

async function setPassword(c: MysqlConnection, version: string, target: DbTarget, password: string): Promise<void> {
    if (mysqlFlavour(version) === "mysql" && compareVersions(version, "5.7.6") < 0) {
        // MySQL 5.6 has no ALTER USER ... IDENTIFIED; SET PASSWORD takes the hash directly.
        await c.query(`SET PASSWORD FOR ${account(target)} = ${sql().escape(mysqlNativeHash(password))}`);
        return;
    }
    await c.query(`ALTER USER ${account(target)} ${identifiedClause(version, password)}`);
}

async function userExists(c: MysqlConnection, target: DbTarget): Promise<boolean> {
    const [rows] = await c.query("SELECT 1 FROM mysql.user WHERE User = ? AND Host = ?", [target.user, MYSQL_USER_HOST]);
    return (rows as unknown[]).length > 0;
}

async function databaseExists(c: MysqlConnection, database: string): Promise<boolean> {
    const [rows] = await c.query("SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", [database]);
    return (rows as unknown[]).length > 0;
}

export async function mysqlEnsure(admin: AdminConnection, target: DbTarget, password: string): Promise<EnsureReport> {
    return withAdmin(admin, async (c, version) => {
        const report: EnsureReport = { createdDatabase: false, createdUser: false };
        if (!(await databaseExists(c, target.database))) {
            await c.query(`CREATE DATABASE ${sql().escapeId(target.database, true)} CHARACTER SET utf8 COLLATE utf8_general_ci`);
            report.createdDatabase = true;
        }
        if (!(await userExists(c, target))) {
            await c.query(`CREATE USER ${account(target)} ${identifiedClause(version, password)}`);
            report.createdUser = true;
        } else {
            await setPassword(c, version, target, password);
        }
        await c.query(`GRANT ALL PRIVILEGES ON ${grantDatabase(target.database)}.* TO ${account(target)}`);
        return report;
    });
}

export async function mysqlSetPassword(admin: AdminConnection, target: DbTarget, password: string): Promise<void> {
    await withAdmin(admin, (c, version) => setPassword(c, version, target, password));
}

export async function mysqlDrop(admin: AdminConnection, target: DbTarget): Promise<void> {
    await withAdmin(admin, async (c) => {
        await c.query(`DROP DATABASE IF EXISTS ${sql().escapeId(target.database, true)}`);
        await c.query(`DROP USER IF EXISTS ${account(target)}`);
    });
}

export async function mysqlDescribe(admin: AdminConnection, target: DbTarget): Promise<DatabaseState> {
    return withAdmin(admin, async (c) => ({
        databaseExists: await databaseExists(c, target.database),
        userExists: await userExists(c, target),
    }));
}
