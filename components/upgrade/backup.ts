/**
 * `DatabaseBackup`: the dump taken once per change of harbor.version, before the read-only window
 * and the migration (./dump.ts). Its state records the file, its SHA-256 and size.
 * - It is replaced (and runs) only when the target version changes: not on a second `up`, not on
 *   a refresh, not when a password or the backup directory changes.
 * - On install and on an unchanged version it dumps nothing and says why.
 * - A failed dump fails `up` before anything is frozen or migrated; nothing else has changed.
 * - Delete keeps the file: backups are the operator's, like the blobs.
 */
import * as pulumi from "@pulumi/pulumi";
import { diffFields } from "../database/dynamic-diff";
import type { DbServer, DbTarget } from "../database/types";
import { oneLineError } from "../one-line-error";
import { dumpDatabase } from "./dump";
import type { UpgradeKind } from "./plan";

export interface DatabaseBackupProps {
    server: DbServer;
    target: DbTarget;
    password?: string;
    directory: string;
    stack: string;
    kind: UpgradeKind;
    from?: string;
    to: string;
    enabled: boolean;
}

export interface BackupRecord {
    /** Why nothing was dumped; empty when a dump was taken. */
    skipped: string;
    path: string;
    sha256: string;
    bytes: number;
    takenAt: string;
}

export function backupBaseName(p: Pick<DatabaseBackupProps, "stack" | "from" | "to">, now: Date): string {
    const stamp = now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
    return `harbor-${p.stack}-${p.from || "unrecorded"}-before-${p.to}-${stamp}`;
}

export async function takeBackup(p: DatabaseBackupProps): Promise<BackupRecord> {
    const none = (skipped: string): BackupRecord => ({ skipped, path: "", sha256: "", bytes: 0, takenAt: "" });
    if (p.kind === "install") return none("first deployment: no Harbor data to back up yet");
    if (p.kind === "steady") return none(`harbor.version unchanged (${p.to})`);
    if (!p.enabled) return none("upgrade.backup.enabled is false");
    const now = new Date();
    const dump = await dumpDatabase({ server: p.server, target: p.target, password: p.password ?? "", directory: p.directory, baseName: backupBaseName(p, now) }).catch((e: Error) => {
        throw oneLineError(`${e.message}; the change to ${p.to} stopped before anything was frozen or migrated (Harbor still runs ${p.from || "the deployed release"}): fix this and run pulumi up again, or set upgrade.backup.enabled: false`);
    });
    return { skipped: "", path: dump.path, sha256: dump.sha256, bytes: dump.bytes, takenAt: now.toISOString() };
}

const outsOf = (p: DatabaseBackupProps, r: BackupRecord) => {
    const { password: _unused, ...kept } = p;
    return { ...kept, ...r };
};

export const databaseBackupProvider: pulumi.dynamic.ResourceProvider = {
    async diff(_id: string, olds: DatabaseBackupProps, news: DatabaseBackupProps) {
        // Once per target version: how the database is reached, and from where, is not what it is.
        return diffFields(olds, news, { replaceOn: ["to"], updateOn: [] });
    },
    async create(inputs: DatabaseBackupProps) {
        const r = await takeBackup(inputs);
        return { id: r.path || `skipped:${inputs.to}`, outs: outsOf(inputs, r) };
    },
};

/** The props, with what comes from other resources as Inputs; the password is used, never stored in the outputs. */
export type DatabaseBackupArgs = Omit<DatabaseBackupProps, "server" | "target" | "password"> & {
    server: pulumi.Input<DbServer>;
    target: pulumi.Input<DbTarget>;
    password: pulumi.Input<string>;
};

export class DatabaseBackup extends pulumi.dynamic.Resource {
    declare public readonly path: pulumi.Output<string>;
    declare public readonly sha256: pulumi.Output<string>;
    declare public readonly bytes: pulumi.Output<number>;
    declare public readonly skipped: pulumi.Output<string>;

    constructor(name: string, args: DatabaseBackupArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            databaseBackupProvider,
            name,
            { ...args, password: pulumi.secret(args.password), from: args.from ?? "", path: undefined, sha256: undefined, bytes: undefined, skipped: undefined, takenAt: undefined },
            opts,
            "harbor-ha",
            "DatabaseBackup",
        );
    }
}
