/**
 * Engine-independent provisioning entry points. The dynamic provider and the tests call these;
 * they pick the PostgreSQL or MySQL implementation from `admin.server.engine`.
 */
import type { DbTarget } from "./types";
import { AdminConnection, assertTargetValid, DatabaseState, EnsureReport } from "./admin";
import { pgDescribe, pgDrop, pgEnsure, pgSetPassword } from "./postgres";
import { mysqlDescribe, mysqlDrop, mysqlEnsure, mysqlSetPassword } from "./mysql";

export type { AdminConnection, DatabaseState, EnsureReport } from "./admin";

/** Creates the database, the Harbor user and its grants where missing; (re)sets the password. */
export async function ensureDatabase(admin: AdminConnection, target: DbTarget, password: string): Promise<EnsureReport> {
    assertTargetValid(admin.server.engine, target);
    return admin.server.engine === "postgresql" ? pgEnsure(admin, target, password) : mysqlEnsure(admin, target, password);
}

/** Changes the Harbor user's password only. */
export async function setHarborPassword(admin: AdminConnection, target: DbTarget, password: string): Promise<void> {
    assertTargetValid(admin.server.engine, target);
    return admin.server.engine === "postgresql" ? pgSetPassword(admin, target, password) : mysqlSetPassword(admin, target, password);
}

/** Drops the database and the Harbor user. Only called when the user asked for it (dropOnDestroy). */
export async function dropDatabase(admin: AdminConnection, target: DbTarget): Promise<void> {
    assertTargetValid(admin.server.engine, target);
    return admin.server.engine === "postgresql" ? pgDrop(admin, target) : mysqlDrop(admin, target);
}

/** Whether the database and the user exist. */
export async function describeDatabase(admin: AdminConnection, target: DbTarget): Promise<DatabaseState> {
    assertTargetValid(admin.server.engine, target);
    return admin.server.engine === "postgresql" ? pgDescribe(admin, target) : mysqlDescribe(admin, target);
}
