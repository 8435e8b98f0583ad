/**
 * PostgreSQL provisioning for Harbor 2.x.
 *
 * Privilege model (least privilege, and the same on PG 12..17):
 *  - the database is owned by the admin login that created it, not by Harbor;
 *  - PUBLIC loses CONNECT/TEMP on it; the Harbor role gets exactly CONNECT and TEMP;
 *  - in that database, PUBLIC loses CREATE on schema public (the PG <15 default granted it;
 *    PG 15 already revoked it), and the Harbor role gets USAGE + CREATE on schema public.
 *    Harbor core runs its migrations at start and owns every table it creates, so it can
 *    ALTER/DROP them later, but cannot touch any other schema, database, or role.
 *  - the role is NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION.
 *
 * Utility statements cannot take bind parameters, so identifiers and literals go through
 * pg's `escapeIdentifier` / `escapeLiteral`. Catalog lookups use real bind parameters.
 */
import type { Client as PgClient } from "pg";
import type { DbTarget } from "./types";
import type { AdminConnection, DatabaseState, EnsureReport } from "./admin";
import { dbFailure, openPostgres } from "./connection";
import { canPrehash, scramVerifier } from "./scram";

async function withAdmin<T>(admin: AdminConnection, database: string, work: (c: PgClient) => Promise<T>): Promise<T> {
    const login = { user: admin.user, password: admin.password, database };
    const client = await openPostgres(admin.server, login);
    try {
        return await work(client);
    } catch (err) {
        throw dbFailure(admin.server, login, err);
    } finally {
        await client.end().catch(() => undefined);
    }
}

async function serverVersionNum(c: PgClient): Promise<number> {
    const r = await c.query<{ v: string }>("SELECT current_setting('server_version_num') AS v");
    return Number(r.rows[0].v);
}

/** The PASSWORD clause: a SCRAM verifier when we can compute one the server accepts, else a literal. */
async function passwordClause(c: PgClient, password: string): Promise<string> {
    const scramOk = canPrehash(password) && (await serverVersionNum(c)) >= 100000;
    return `PASSWORD ${c.escapeLiteral(scramOk ? scramVerifier(password) : password)}`;
}

async function roleExists(c: PgClient, user: string): Promise<boolean> {
    return (await c.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [user])).rowCount === 1;
}

async function databaseExists(c: PgClient, database: string): Promise<boolean> {
    return (await c.query("SELECT 1 FROM pg_database WHERE datname = $1", [database])).rowCount === 1;
}

/**
 * Creates what is missing (role, database, grants) and (re)sets the role's password.
 * Every step is safe to repeat, so a retry after a half-finished run converges.
 */
export async function pgEnsure(admin: AdminConnection, target: DbTarget, password: string): Promise<EnsureReport> {
    const report: EnsureReport = { createdDatabase: false, createdUser: false };
    await withAdmin(admin, admin.database, async (c) => {
        const role = c.escapeIdentifier(target.user);
        const db = c.escapeIdentifier(target.database);
        if (!(await roleExists(c, target.user))) {
            await c.query(`CREATE ROLE ${role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION ${await passwordClause(c, password)}`);
            report.createdUser = true;
        } else {
            await c.query(`ALTER ROLE ${role} LOGIN ${await passwordClause(c, password)}`);
        }
        if (!(await databaseExists(c, target.database))) {
            // CREATE DATABASE cannot run inside a transaction or DO block; checked above instead.
            // template0 + UTF8: Harbor stores UTF-8 text whatever the cluster's default encoding is.
            await c.query(`CREATE DATABASE ${db} TEMPLATE template0 ENCODING 'UTF8'`);
            report.createdDatabase = true;
        }
        await c.query(`REVOKE ALL ON DATABASE ${db} FROM PUBLIC`);
        await c.query(`GRANT CONNECT, TEMPORARY ON DATABASE ${db} TO ${role}`);
    });
    await withAdmin(admin, target.database, async (c) => {
        const role = c.escapeIdentifier(target.user);
        await c.query("REVOKE CREATE ON SCHEMA public FROM PUBLIC");
        await c.query(`GRANT USAGE, CREATE ON SCHEMA public TO ${role}`);
    });
    return report;
}

/** Changes only the Harbor role's password (an in-place update). */
export async function pgSetPassword(admin: AdminConnection, target: DbTarget, password: string): Promise<void> {
    await withAdmin(admin, admin.database, async (c) => {
        await c.query(`ALTER ROLE ${c.escapeIdentifier(target.user)} ${await passwordClause(c, password)}`);
    });
}

/** Drops the database (disconnecting Harbor's sessions on PG >= 13) and then the role. */
export async function pgDrop(admin: AdminConnection, target: DbTarget): Promise<void> {
    await withAdmin(admin, admin.database, async (c) => {
        const force = (await serverVersionNum(c)) >= 130000 ? " WITH (FORCE)" : "";
        await c.query(`DROP DATABASE IF EXISTS ${c.escapeIdentifier(target.database)}${force}`);
        await c.query(`DROP ROLE IF EXISTS ${c.escapeIdentifier(target.user)}`);
    });
}

export async function pgDescribe(admin: AdminConnection, target: DbTarget): Promise<DatabaseState> {
    return withAdmin(admin, admin.database, async (c) => ({
        databaseExists: await databaseExists(c, target.database),
        userExists: await roleExists(c, target.user),
    }));
}
