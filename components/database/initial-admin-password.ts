/**
 * `InitialAdminPassword`: makes the stack's `adminPassword` output the password that logs in,
 * also when the stack is created against a database Harbor already initialised (after
 * `pulumi destroy` + `up`, which keeps the database by design) or when the password is rotated.
 *
 * Harbor applies HARBOR_ADMIN_PASSWORD only while the admin's salt is empty
 * (`updateInitPassword` in Harbor's core main.go: `if user.Salt == ""`), i.e. on the first start
 * against a new database; afterwards it ignores the env. So on create, and whenever the password
 * changes, this resource empties the admin's salt and password hash before any core starts; the
 * next core to start then stores the stack's password. It never runs otherwise: a password the
 * admin changed in the UI survives every later `pulumi up`.
 *
 * An empty hash cannot be logged into (Harbor compares a PBKDF2 digest, never empty). A fresh
 * database has no user table yet: nothing to do, core seeds it from the env on first start.
 */
import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import type { DbServer, DbTarget } from "./types";
import { dbFailure, openMysql, openPostgres } from "./connection";
import { diffFields } from "./dynamic-diff";

/** Harbor's admin account id (core: `adminUserID = 1`, every release). */
export const ADMIN_USER_ID = 1;

export interface InitialAdminPasswordProps {
    server: DbServer;
    target: DbTarget;
    harborPassword: string;
    /** sha256 of the admin password (kept secret too): a change (rotation) re-arms it. */
    passwordDigest: string;
}

export interface InitialAdminPasswordArgs {
    server: pulumi.Input<DbServer>;
    target: pulumi.Input<DbTarget>;
    /** The Harbor database user's password (secret). */
    harborPassword: pulumi.Input<string>;
    /** The admin password the stack outputs (secret); only its digest is stored. */
    adminPassword: pulumi.Input<string>;
}

/** What the re-arm did: "rearmed" (salt emptied), "fresh database" (no user table yet). */
export type RearmResult = "rearmed" | "fresh database";

/** Empties the admin's salt and hash so the next core start applies HARBOR_ADMIN_PASSWORD. */
export async function rearmAdminPassword(server: DbServer, target: DbTarget, harborPassword: string): Promise<RearmResult> {
    const login = { user: target.user, password: harborPassword, database: target.database };
    if (server.engine === "postgresql") {
        const client = await openPostgres(server, login);
        try {
            const table = await client.query("SELECT to_regclass('harbor_user') AS t");
            if (table.rows[0].t === null) return "fresh database";
            await client.query("UPDATE harbor_user SET salt = '', password = '' WHERE user_id = $1", [ADMIN_USER_ID]);
            return "rearmed";
        } catch (err) {
            throw dbFailure(server, login, err);
        } finally {
            await client.end().catch(() => undefined);
        }
    }
    // Harbor 1.x (MySQL): the same rule on its `user` table.
    const conn = await openMysql(server, login);
    try {
        const [rows] = await conn.query("SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = 'user'");
        if (Number((rows as { n: number }[])[0].n) === 0) return "fresh database";
        await conn.query("UPDATE `user` SET salt = '', password = '' WHERE user_id = ?", [ADMIN_USER_ID]);
        return "rearmed";
    } catch (err) {
        throw dbFailure(server, login, err);
    } finally {
        await conn.end().catch(() => undefined);
    }
}

export const initialAdminPasswordProvider: pulumi.dynamic.ResourceProvider = {
    async diff(_id: string, olds: InitialAdminPasswordProps, news: InitialAdminPasswordProps) {
        // Only a new password re-arms. A moved server is the same Harbor database: nothing to do.
        return diffFields(olds, news, { replaceOn: [], updateOn: ["passwordDigest"] });
    },
    async create(inputs: InitialAdminPasswordProps) {
        const result = await rearmAdminPassword(inputs.server, inputs.target, inputs.harborPassword);
        return { id: `${inputs.server.host}:${inputs.server.port}/${inputs.target.database}#admin`, outs: { ...inputs, result } };
    },
    async update(_id: string, _olds: InitialAdminPasswordProps, news: InitialAdminPasswordProps) {
        const result = await rearmAdminPassword(news.server, news.target, news.harborPassword);
        return { outs: { ...news, result } };
    },
};

export class InitialAdminPassword extends pulumi.dynamic.Resource {
    /** What the last run did ("rearmed" or "fresh database"). */
    declare public readonly result: pulumi.Output<RearmResult>;

    constructor(name: string, args: InitialAdminPasswordArgs, opts?: pulumi.CustomResourceOptions) {
        const passwordDigest = pulumi.output(args.adminPassword).apply((p) => crypto.createHash("sha256").update(p).digest("hex"));
        super(
            initialAdminPasswordProvider,
            name,
            { server: args.server, target: args.target, harborPassword: args.harborPassword, passwordDigest, result: undefined },
            { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "harborPassword"] },
            "harbor-ha",
            "InitialAdminPassword",
        );
    }
}
