/**
 * The shapes both engines' provisioning code share, and name validation that runs before any SQL.
 */
import type { DbEngine, DbServer, DbTarget } from "./types";

/** An administrative login able to create databases and users (config secrets). */
export interface AdminConnection {
    server: DbServer;
    user: string;
    password: string;
    /** Database the admin logs into: PostgreSQL "postgres" by default; ignored by MySQL. */
    database: string;
}

/** What `ensureDatabase` had to do; both false on a second run against the same server. */
export interface EnsureReport {
    createdDatabase: boolean;
    createdUser: boolean;
}

/** What `describeDatabase` finds on the server (used by the provider's read and by tests). */
export interface DatabaseState {
    databaseExists: boolean;
    userExists: boolean;
}

/** The default admin database per engine. */
export function defaultAdminDatabase(engine: DbEngine): string {
    return engine === "postgresql" ? "postgres" : "";
}

/**
 * Problems with database/user names, as [field, reason] pairs. Names are escaped when used, so
 * any character is safe; what breaks is length: PostgreSQL silently truncates identifiers to 63
 * bytes, so an over-long name would never be found again and every run would try to re-create it.
 */
export function targetProblems(engine: DbEngine, target: DbTarget): Array<[keyof DbTarget, string]> {
    const problems: Array<[keyof DbTarget, string]> = [];
    const limits: Record<keyof DbTarget, number> =
        engine === "postgresql" ? { database: 63, user: 63 } : { database: 64, user: 80 };
    for (const field of ["database", "user"] as const) {
        const value = target[field];
        if (typeof value !== "string" || value.length === 0) {
            problems.push([field, `${field} must be a non-empty string`]);
            continue;
        }
        if (value.includes("\0")) problems.push([field, `${field} must not contain NUL characters`]);
        const size = engine === "postgresql" ? Buffer.byteLength(value, "utf8") : [...value].length;
        if (size > limits[field]) {
            problems.push([field, `${field} is ${size} ${engine === "postgresql" ? "bytes" : "characters"} long; ${engine} allows ${limits[field]}`]);
        }
    }
    return problems;
}

/** Throws a plain one-line Error listing every name problem (used before any SQL runs). */
export function assertTargetValid(engine: DbEngine, target: DbTarget): void {
    const problems = targetProblems(engine, target);
    if (problems.length > 0) {
        const text = `invalid database target: ${problems.map(([, reason]) => reason).join("; ")}`;
        const err = new Error(text);
        err.stack = text;
        throw err;
    }
}
