/**
 * Opening connections to PostgreSQL (pg) and MySQL/MariaDB (mysql2), and turning their failures
 * into one clear line.
 *
 * Drivers are `require`d inside the functions on purpose: this code is serialized into the
 * dynamic provider's state and re-run in the provider process, where a module-level import
 * would be captured by value (or not at all).
 */
import type { Client as PgClient } from "pg";
import type { Connection as MysqlConnection } from "mysql2/promise";
import type { DbServer } from "./types";
import { FailureCause, isServiceFailure, redact, serviceFailure, ServiceFailure, socketCause } from "./failure";

/** Who to log in as, and into which database. */
export interface DbLogin {
    user: string;
    password: string;
    database: string;
}

/** "postgresql 127.0.0.1:5432": what every message starts with. */
export function describeServer(server: DbServer): string {
    const host = server.host.includes(":") ? `[${server.host}]` : server.host;
    return `${server.engine} ${host}:${server.port}`;
}

/** Milliseconds for one connection attempt (config is in seconds; at least 1 s). */
export function connectTimeoutMs(server: DbServer): number {
    return Math.max(1, server.connectTimeoutSeconds || 10) * 1000;
}

/** TLS options for pg, following libpq's sslmode meanings. */
function pgSsl(server: DbServer): false | { rejectUnauthorized: boolean; checkServerIdentity?: () => undefined } {
    switch (server.sslmode) {
        case "disable":
            return false;
        case "require":
            return { rejectUnauthorized: false };
        case "verify-ca":
            // Trust the chain but not the host name, as libpq's verify-ca does.
            return { rejectUnauthorized: true, checkServerIdentity: () => undefined };
        case "verify-full":
            return { rejectUnauthorized: true };
    }
}

/** Connects a pg Client; the caller must `end()` it. Failures are one-line ServiceFailures. */
export async function openPostgres(server: DbServer, login: DbLogin): Promise<PgClient> {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { Client } = require("pg") as typeof import("pg");
    const timeout = connectTimeoutMs(server);
    const client = new Client({
        host: server.host,
        port: server.port,
        user: login.user,
        password: login.password,
        database: login.database,
        ssl: pgSsl(server),
        connectionTimeoutMillis: timeout,
        // Bounds every later query too: a server that accepts and stalls cannot hang `pulumi up`.
        query_timeout: timeout * 3,
        application_name: "harbor-ha",
    });
    // A socket error after connect must not crash the process; queries report it themselves.
    client.on("error", () => undefined);
    try {
        await client.connect();
        return client;
    } catch (err) {
        await client.end().catch(() => undefined);
        const e = err as { code?: string; message?: string; tlsWouldWork?: boolean };
        if (e.code === "28000" && server.sslmode === "disable" && /no encryption/i.test(String(e.message))) {
            e.tlsWouldWork = await passesPgHbaOverTls(server, login);
        }
        throw dbFailure(server, login, err);
    }
}

/** Whether the same login gets past pg_hba over TLS (a server that only has `hostssl` entries). */
async function passesPgHbaOverTls(server: DbServer, login: DbLogin): Promise<boolean> {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { Client } = require("pg") as typeof import("pg");
    const probe = new Client({ host: server.host, port: server.port, user: login.user, password: login.password, database: login.database, ssl: { rejectUnauthorized: false }, connectionTimeoutMillis: connectTimeoutMs(server) });
    probe.on("error", () => undefined);
    try {
        await probe.connect();
        return true;
    } catch (err) {
        const e = err as { code?: string; message?: string };
        return !(e.code === "28000" && /pg_hba/i.test(String(e.message))) && !/does not support SSL/i.test(String(e.message));
    } finally {
        await probe.end().catch(() => undefined);
    }
}

/** Connects a mysql2 promise connection; the caller must `end()` it. */
export async function openMysql(
    server: DbServer,
    login: Omit<DbLogin, "database"> & { database?: string },
    options: { multipleStatements?: boolean } = {},
): Promise<MysqlConnection> {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const mysql = require("mysql2/promise") as typeof import("mysql2/promise");
    try {
        const conn = await mysql.createConnection({
            host: server.host,
            port: server.port,
            user: login.user,
            password: login.password,
            database: login.database || undefined,
            charset: "utf8mb4",
            connectTimeout: connectTimeoutMs(server),
            ssl: server.sslmode === "disable" ? undefined : { rejectUnauthorized: server.sslmode !== "require" },
            multipleStatements: options.multipleStatements === true,
        });
        conn.on("error", () => undefined);
        return conn;
    } catch (err) {
        throw dbFailure(server, { database: "", ...login }, err);
    }
}

interface DriverError {
    code?: string;
    errno?: number;
    message?: string;
}

/** Maps a pg or mysql2 error to a cause and a short detail that names no secret. */
export function classifyDbError(server: DbServer, login: DbLogin, err: unknown): { cause: FailureCause; detail: string } {
    const e = (err ?? {}) as DriverError;
    const message = String(e.message ?? err);
    const socket = socketCause(e.code);
    if (socket) return socket;
    if (/timeout expired|connection timeout|ETIMEDOUT|Query read timeout/i.test(message)) {
        return { cause: "timeout", detail: "the server accepted the connection but did not answer in time" };
    }
    if (/Connection terminated unexpectedly|PROTOCOL_CONNECTION_LOST|Connection lost/i.test(message + (e.code ?? ""))) {
        return { cause: "unreachable", detail: "the server closed the connection" };
    }
    if (/does not support SSL|HANDSHAKE_NO_SSL_SUPPORT|does not support secure connection/i.test(message + (e.code ?? ""))) {
        return { cause: "TLS not available", detail: `sslmode=${server.sslmode} but the server offers no TLS` };
    }
    if (/certificate|self[- ]signed|CERT_|altnames/i.test(message + (e.code ?? ""))) {
        return { cause: "TLS verification failed", detail: `server certificate not trusted under sslmode=${server.sslmode} (${e.code ?? "TLS error"}); add its CA to the trust store or use sslmode=require` };
    }
    switch (e.code) {
        // PostgreSQL SQLSTATEs
        case "28P01":
            return { cause: "authentication failed", detail: `password rejected for user "${login.user}"` };
        case "28000":
            // PostgreSQL says "no encryption" in EVERY missing-pg_hba-entry message of a plain
            // connection; only a TLS retry (openPostgres) tells "TLS only" from "host not allowed".
            if (/no encryption|SSL off/i.test(message) && (err as { tlsWouldWork?: boolean }).tlsWouldWork) {
                return { cause: "TLS required", detail: "the server accepts this user only over TLS; set sslmode to require or stricter" };
            }
            if (/pg_hba/i.test(message)) {
                return { cause: "access denied", detail: `pg_hba.conf has no entry for user "${login.user}" from this host` };
            }
            return { cause: "authentication failed", detail: `user "${login.user}" rejected` };
        case "3D000":
            return { cause: "database missing", detail: `database "${login.database}" does not exist` };
        case "42501":
            return { cause: "access denied", detail: redact(message, [login.password]) };
        // MySQL / MariaDB
        case "ER_ACCESS_DENIED_ERROR":
        case "ER_ACCESS_DENIED_NO_PASSWORD_ERROR":
            return { cause: "authentication failed", detail: `password rejected for user "${login.user}"` };
        case "ER_DBACCESS_DENIED_ERROR":
            return { cause: "access denied", detail: `user "${login.user}" has no access to database "${login.database}"` };
        case "ER_BAD_DB_ERROR":
            return { cause: "database missing", detail: `database "${login.database}" does not exist` };
        case "ER_HOST_NOT_PRIVILEGED":
            return { cause: "access denied", detail: "this host is not allowed to connect" };
        case "ER_SECURE_TRANSPORT_REQUIRED":
            return { cause: "TLS required", detail: "the server requires TLS; set sslmode to require or stricter" };
    }
    if (/insecure transport|require_secure_transport/i.test(message)) {
        return { cause: "TLS required", detail: "the server requires TLS; set sslmode to require or stricter" };
    }
    return { cause: "error", detail: redact(message, [login.password]) };
}

/** The one-line error for a failed database operation. */
export function dbFailure(server: DbServer, login: DbLogin, err: unknown): ServiceFailure {
    if (isServiceFailure(err)) return err;
    const { cause, detail } = classifyDbError(server, login, err);
    return serviceFailure(describeServer(server), cause, detail);
}
