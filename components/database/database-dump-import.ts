/**
 * `DatabaseDumpImport`: imports a dump once and records the file's SHA-256 in state.
 *
 * - check() hashes the file, so a changed file shows as a change in preview;
 * - create imports (refused when Harbor tables exist, unless force);
 * - a changed file (or path) is an update that imports again, and is therefore refused by the
 *   same rule unless force: "imported once" is enforced by the database's contents, not only by
 *   state, which also protects against a lost state file;
 * - changing only `force` changes nothing; delete leaves the data (it is Harbor's data now);
 * - a moved database (host, port or name written differently) imports nothing again: the data
 *   moved with it, and a second import would be refused anyway;
 * - once imported, the file may be deleted: with the same path and no readable file, the check
 *   keeps the recorded hash instead of failing every later `up`.
 * The Harbor password is used but not stored: nothing to re-check later.
 */
import * as pulumi from "@pulumi/pulumi";
import type { DbServer, DbTarget } from "./types";
import { containsUnknown, diffFields } from "./dynamic-diff";
import { fileSha256, importDump } from "./dump-import";

export interface DatabaseDumpImportProps {
    server: DbServer;
    target: DbTarget;
    harborPassword?: string;
    path: string;
    force: boolean;
    sha256: string;
}

export interface DatabaseDumpImportArgs {
    server: pulumi.Input<DbServer>;
    target: pulumi.Input<DbTarget>;
    /** The Harbor user's password (secret); the import runs as the Harbor user. */
    harborPassword: pulumi.Input<string>;
    /** Dump file: PostgreSQL plain SQL (pg_dump --no-owner --no-privileges -Fp), or a mysqldump. */
    path: pulumi.Input<string>;
    /** Import even if the target already holds Harbor tables. Default false. */
    force?: pulumi.Input<boolean>;
}

export const databaseDumpImportProvider: pulumi.dynamic.ResourceProvider = {
    async check(olds: Record<string, unknown>, news: Record<string, unknown>) {
        const inputs: Record<string, unknown> = { force: false, ...news };
        const failures: Array<{ property: string; reason: string }> = [];
        const path = news.path;
        if (typeof path !== "string" || path === "") {
            failures.push({ property: "path", reason: "path to the dump file is required" });
        } else if (!containsUnknown(path)) {
            try {
                inputs.sha256 = await fileSha256(path);
            } catch {
                const imported = olds.path === path && typeof olds.sha256 === "string" ? olds.sha256 : undefined;
                if (imported) inputs.sha256 = imported;
                else failures.push({ property: "path", reason: `dump file ${path} cannot be read; it is needed until the import has run once` });
            }
        }
        return { inputs, failures };
    },
    async diff(_id: string, olds: DatabaseDumpImportProps, news: DatabaseDumpImportProps) {
        return diffFields(olds, news, { replaceOn: [], updateOn: ["path", "sha256"] });
    },
    async create(inputs: DatabaseDumpImportProps) {
        const result = await importDump(inputs.server, inputs.target, inputs.harborPassword ?? "", { path: inputs.path, force: inputs.force });
        const { harborPassword: _unused, ...kept } = inputs;
        return {
            id: `${inputs.server.host}:${inputs.server.port}/${inputs.target.database}#${result.sha256.slice(0, 12)}`,
            outs: { ...kept, sha256: result.sha256, skipped: result.skipped },
        };
    },
    async update(_id: string, _olds: DatabaseDumpImportProps, news: DatabaseDumpImportProps) {
        const result = await importDump(news.server, news.target, news.harborPassword ?? "", { path: news.path, force: news.force });
        const { harborPassword: _unused, ...kept } = news;
        return { outs: { ...kept, sha256: result.sha256, skipped: result.skipped } };
    },
};

export class DatabaseDumpImport extends pulumi.dynamic.Resource {
    /** SHA-256 of the imported file. */
    declare public readonly sha256: pulumi.Output<string>;
    /** MySQL: database-level statements that were left out. */
    declare public readonly skipped: pulumi.Output<string[]>;

    constructor(name: string, args: DatabaseDumpImportArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            databaseDumpImportProvider,
            name,
            { ...args, force: args.force ?? false, sha256: undefined, skipped: undefined },
            opts,
            "harbor-ha",
            "DatabaseDumpImport",
        );
    }
}
