/**
 * Raw SQL access for assertions, deliberately NOT through the code under test: tests use it to
 * look at what the provisioning did and to try what the Harbor user must not be able to do.
 */
import type { DbServer } from "../../../components/database/types";

export interface Login {
    user: string;
    password: string;
    database: string;
}

/** Runs one statement as `login` and returns the rows. Errors are the driver's own (with codes). */
export async function rawQuery(server: DbServer, login: Login, sql: string, values: unknown[] = []): Promise<Array<Record<string, unknown>>> {
    if (server.engine === "postgresql") {
        const { Client } = await import("pg");
        const c = new Client({ host: server.host, port: server.port, ...login, connectionTimeoutMillis: 5000 });
        c.on("error", () => undefined);
        await c.connect();
        try {
            return (await c.query(sql, values)).rows;
        } finally {
            await c.end();
        }
    }
    const mysql = await import("mysql2/promise");
    const c = await mysql.createConnection({ host: server.host, port: server.port, ...login, database: login.database || undefined, connectTimeout: 5000 });
    try {
        const [rows] = await c.query(sql, values);
        return rows as Array<Record<string, unknown>>;
    } finally {
        await c.end();
    }
}

/** The driver error of a statement that is expected to fail (throws if it succeeds). */
export async function rawQueryError(server: DbServer, login: Login, sql: string): Promise<{ code?: string; message: string }> {
    try {
        await rawQuery(server, login, sql);
    } catch (err) {
        const e = err as { code?: string; message: string };
        return { code: e.code, message: e.message };
    }
    throw new Error(`expected failure, but it succeeded as ${login.user}: ${sql}`);
}

/** Database names on the server, as the admin sees them. */
export async function listDatabases(server: DbServer, admin: Login): Promise<string[]> {
    const sql = server.engine === "postgresql" ? "SELECT datname AS name FROM pg_database" : "SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA";
    return (await rawQuery(server, admin, sql)).map((r) => String(r.name));
}
