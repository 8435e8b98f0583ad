/**
 * `HarborDatabase`: a Pulumi dynamic resource for Harbor's database and user on an external
 * PostgreSQL or MySQL/MariaDB server. The provider is a thin wrapper over provision.ts.
 *
 * Lifecycle:
 *  - create: ensureDatabase (database, user, grants; converges after a half-finished run);
 *  - update (in place): everything, including engine, host, port, database and user name. A
 *    replace would run delete first, and with dropOnDestroy that would drop Harbor's data for a
 *    mere move (an address written differently, a renamed DNS entry). An update runs
 *    ensureDatabase on the new coordinates: it converges an existing database and creates a
 *    missing one, and never touches the old one;
 *  - delete: runs only when the resource leaves the stack (destroy, or provisioning switched
 *    off); drops database and user only when dropOnDestroy is true; by default both stay.
 *  The id names where the database was created; after a move it stays (ids cannot change).
 *
 * Passwords: the provider sees plaintext (dynamic providers cannot take secrets); both password
 * outputs are listed in additionalSecretOutputs so they are encrypted in state even when the
 * caller passed a plain string.
 */
import * as pulumi from "@pulumi/pulumi";
import type { DbServer, DbTarget } from "./types";
import { defaultAdminDatabase, targetProblems } from "./admin";
import { containsUnknown, diffFields } from "./dynamic-diff";
import { describeDatabase, dropDatabase, ensureDatabase } from "./provision";

/** Provider-side shape of the inputs (and outputs: outputs repeat the normalized inputs). */
export interface HarborDatabaseProps {
    server: DbServer;
    adminUser: string;
    adminPassword: string;
    adminDatabase: string;
    target: DbTarget;
    harborPassword: string;
    dropOnDestroy: boolean;
}

export interface HarborDatabaseArgs {
    /** The external server. Changing engine/host/port replaces the resource. */
    server: pulumi.Input<DbServer>;
    /** Admin login able to create databases and users (PostgreSQL: CREATEDB + CREATEROLE). */
    adminUser: pulumi.Input<string>;
    /** Admin password (pass a secret). */
    adminPassword: pulumi.Input<string>;
    /** Database the admin logs into: PostgreSQL default "postgres"; unused by MySQL. */
    adminDatabase?: pulumi.Input<string>;
    /** Harbor's database and login. Renaming either replaces the resource. */
    target: pulumi.Input<DbTarget>;
    /** Harbor user's password (generate it with @pulumi/random and pass it as a secret). */
    harborPassword: pulumi.Input<string>;
    /** Drop Harbor's database and user on destroy/replace. Default false: data is never dropped implicitly. */
    dropOnDestroy?: pulumi.Input<boolean>;
}

const UPDATE_ON = [
    "server.engine", "server.host", "server.port", "target.database", "target.user",
    "server.sslmode", "server.connectTimeoutSeconds", "adminUser", "adminPassword", "adminDatabase", "harborPassword", "dropOnDestroy",
];

/** Harbor's login or database must never be the admin's own: provisioning would take them over. */
export function adminCollisions(adminUser: unknown, adminDatabase: unknown, target: DbTarget): string[] {
    const out: string[] = [];
    if (target.user === adminUser) out.push(`target.user "${target.user}" is the admin login; Harbor needs a user of its own (provisioning would reset the admin's password)`);
    if (adminDatabase && target.database === adminDatabase) out.push(`target.database "${target.database}" is the admin database; Harbor needs a database of its own (dropOnDestroy would drop it)`);
    return out;
}

function adminOf(p: HarborDatabaseProps) {
    return { server: p.server, user: p.adminUser, password: p.adminPassword, database: p.adminDatabase };
}

/** The resource id: where the database lives (no secrets). */
export function harborDatabaseId(p: HarborDatabaseProps): string {
    return `${p.server.engine}://${p.server.host}:${p.server.port}/${p.target.database}`;
}

/** Applies defaults (in this one place) and validates; unknown values pass through for preview. */
export function checkHarborDatabase(news: Record<string, unknown>): { inputs: Record<string, unknown>; failures: Array<{ property: string; reason: string }> } {
    const failures: Array<{ property: string; reason: string }> = [];
    const server = news.server as DbServer | undefined;
    const inputs: Record<string, unknown> = { dropOnDestroy: false, ...news };
    if (!server || typeof server !== "object") {
        failures.push({ property: "server", reason: "server is required" });
    } else if (!containsUnknown(server)) {
        if (server.engine !== "postgresql" && server.engine !== "mysql") failures.push({ property: "server", reason: `engine must be "postgresql" or "mysql", not "${server.engine}"` });
        if (!server.host) failures.push({ property: "server", reason: "server.host is required" });
        if (!Number.isInteger(server.port) || server.port < 1 || server.port > 65535) failures.push({ property: "server", reason: `server.port ${server.port} is not a TCP port` });
        if (!["disable", "require", "verify-ca", "verify-full"].includes(server.sslmode)) failures.push({ property: "server", reason: `server.sslmode "${server.sslmode}" is not one of disable, require, verify-ca, verify-full` });
        if (inputs.adminDatabase === undefined || inputs.adminDatabase === null) inputs.adminDatabase = defaultAdminDatabase(server.engine);
    }
    const target = news.target as DbTarget | undefined;
    if (!target || typeof target !== "object") failures.push({ property: "target", reason: "target is required" });
    else if (server && !containsUnknown(target) && !containsUnknown(server.engine)) {
        for (const [, reason] of targetProblems(server.engine, target)) failures.push({ property: "target", reason });
        if (!containsUnknown(news.adminUser) && !containsUnknown(inputs.adminDatabase))
            for (const reason of adminCollisions(news.adminUser, inputs.adminDatabase, target)) failures.push({ property: "target", reason });
    }
    for (const key of ["adminUser", "adminPassword", "harborPassword"]) {
        const v = news[key];
        if (v === undefined || v === null || v === "") failures.push({ property: key, reason: `${key} is required` });
    }
    return { inputs, failures };
}

/** Before any SQL: a one-line error, without frames (it is shown as the resource's failure). */
function refuseAdminTarget(p: HarborDatabaseProps): void {
    const problems = adminCollisions(p.adminUser, p.adminDatabase, p.target);
    if (problems.length === 0) return;
    const err = new Error(`refused: ${problems.join("; ")}`);
    err.stack = err.message;
    throw err;
}

/** The provider. Drivers and helpers are reached through module functions required at call time. */
export const harborDatabaseProvider: pulumi.dynamic.ResourceProvider = {
    async check(_olds: Record<string, unknown>, news: Record<string, unknown>) {
        return checkHarborDatabase(news);
    },

    async diff(_id: string, olds: HarborDatabaseProps, news: HarborDatabaseProps) {
        return diffFields(olds, news, { replaceOn: [], updateOn: UPDATE_ON });
    },

    async create(inputs: HarborDatabaseProps) {
        refuseAdminTarget(inputs);
        await ensureDatabase(adminOf(inputs), inputs.target, inputs.harborPassword);
        return { id: harborDatabaseId(inputs), outs: { ...inputs } };
    },

    async update(_id: string, _olds: HarborDatabaseProps, news: HarborDatabaseProps) {
        refuseAdminTarget(news);
        // ensureDatabase sets the password and re-applies grants; it creates nothing that exists.
        await ensureDatabase(adminOf(news), news.target, news.harborPassword);
        return { outs: { ...news } };
    },

    async delete(_id: string, props: HarborDatabaseProps) {
        if (props.dropOnDestroy === true) await dropDatabase(adminOf(props), props.target);
    },

    async read(id: string, props: HarborDatabaseProps) {
        const state = await describeDatabase(adminOf(props), props.target);
        // Both gone: report the resource as deleted so `refresh` drops it from state.
        if (!state.databaseExists && !state.userExists) return { id: "", props: {} };
        return { id, props: { ...props } };
    },
};

/** Harbor's database and user on an external server. */
export class HarborDatabase extends pulumi.dynamic.Resource {
    declare public readonly server: pulumi.Output<DbServer>;
    declare public readonly target: pulumi.Output<DbTarget>;
    declare public readonly adminDatabase: pulumi.Output<string>;
    /** Secret. */
    declare public readonly harborPassword: pulumi.Output<string>;
    declare public readonly dropOnDestroy: pulumi.Output<boolean>;

    constructor(name: string, args: HarborDatabaseArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            harborDatabaseProvider,
            name,
            { ...args, adminDatabase: args.adminDatabase, dropOnDestroy: args.dropOnDestroy ?? false },
            { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "adminPassword", "harborPassword"] },
            "harbor-ha",
            "HarborDatabase",
        );
    }
}
