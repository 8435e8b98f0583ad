/**
 * "Can Harbor use this database?" checked the way Harbor will use it: log in as the Harbor user,
 * into Harbor's database, read the server version, and confirm Harbor may create its tables.
 * Runs before any Harbor container is created, so a wrong password stops `pulumi up` with one
 * line instead of a crash-looping core container.
 */
import type { DbServer, DbTarget } from "./types";
import { connectTimeoutMs, dbFailure, describeServer, openMysql, openPostgres } from "./connection";
import { serviceFailure, withDeadline } from "./failure";
import { compareVersions, DbVersionFloor, mysqlFlavour } from "./versions";

export interface DatabaseReadiness {
    /** Version string the server reports, e.g. "15.18 (Debian 15.18-0+deb12u1)". */
    serverVersion: string;
    /** Which floor applied: postgresql, mariadb or mysql. */
    flavour: keyof DbVersionFloor;
}

async function probePostgres(server: DbServer, target: DbTarget, password: string): Promise<{ version: string; canCreate: boolean }> {
    const login = { user: target.user, password, database: target.database };
    const c = await openPostgres(server, login);
    try {
        const r = await c.query<{ version: string; can_create: boolean }>(
            "SELECT current_setting('server_version') AS version, has_schema_privilege(current_user, 'public', 'CREATE') AS can_create",
        );
        return { version: r.rows[0].version, canCreate: r.rows[0].can_create };
    } catch (err) {
        throw dbFailure(server, login, err);
    } finally {
        await c.end().catch(() => undefined);
    }
}

async function probeMysql(server: DbServer, target: DbTarget, password: string): Promise<{ version: string; canCreate: boolean }> {
    const login = { user: target.user, password, database: target.database };
    const c = await openMysql(server, login);
    try {
        const [rows] = await c.query("SELECT VERSION() AS version");
        // The user's own privileges are visible to it. Schema grants are LIKE patterns (as in
        // GRANT), hence `? LIKE TABLE_SCHEMA`; a global CREATE also counts.
        const [privs] = await c.query(
            `SELECT 1 FROM information_schema.SCHEMA_PRIVILEGES WHERE PRIVILEGE_TYPE = 'CREATE' AND ? LIKE TABLE_SCHEMA
             UNION ALL SELECT 1 FROM information_schema.USER_PRIVILEGES WHERE PRIVILEGE_TYPE = 'CREATE'`,
            [target.database],
        );
        const canCreate = (privs as unknown[]).length > 0;
        return { version: String((rows as Array<{ version: string }>)[0].version), canCreate };
    } catch (err) {
        throw dbFailure(server, login, err);
    } finally {
        await c.end().catch(() => undefined);
    }
}

/**
 * Logs in as the Harbor user and checks version and privileges. Resolves with the version;
 * rejects with a one-line ServiceFailure naming host:port and the cause. The whole check is
 * bounded by about twice the connect timeout, whatever the server does.
 */
export async function checkDatabaseReady(
    server: DbServer,
    target: DbTarget,
    password: string,
    floor: DbVersionFloor,
): Promise<DatabaseReadiness> {
    const where = describeServer(server);
    const budget = connectTimeoutMs(server) * 2 + 1000;
    const probe = server.engine === "postgresql" ? probePostgres(server, target, password) : probeMysql(server, target, password);
    const { version, canCreate } = await withDeadline(probe, budget, () =>
        serviceFailure(where, "timeout", `no complete answer within ${Math.round(budget / 1000)} s`),
    );
    const flavour: keyof DbVersionFloor = server.engine === "postgresql" ? "postgresql" : mysqlFlavour(version);
    if (compareVersions(version, floor[flavour]) < 0) {
        throw serviceFailure(where, "version too old", `${flavour} ${version.split(" ")[0]} is older than the required ${floor[flavour]}`);
    }
    if (!canCreate) {
        throw serviceFailure(where, "access denied", `user "${target.user}" may not create tables in database "${target.database}" (Harbor creates its schema at start)`);
    }
    return { serverVersion: version, flavour };
}
