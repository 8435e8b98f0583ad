/**
 * `DatabaseReadiness`: a dynamic resource whose create/update runs checkDatabaseReady. Harbor's
 * containers `dependsOn` it, so a wrong password or an old server stops `pulumi up` with one line
 * before any container exists. It re-checks whenever server, target, password or floor change;
 * it has nothing to delete.
 */
import * as pulumi from "@pulumi/pulumi";
import type { DbServer, DbTarget } from "./types";
import { diffFields } from "./dynamic-diff";
import { checkDatabaseReady } from "./readiness";
import type { DbVersionFloor } from "./versions";

export interface DatabaseReadinessProps {
    server: DbServer;
    target: DbTarget;
    harborPassword: string;
    floor: DbVersionFloor;
    /** Any value; a change forces a re-check (e.g. the dump import's hash). */
    after?: string;
}

export interface DatabaseReadinessArgs {
    server: pulumi.Input<DbServer>;
    target: pulumi.Input<DbTarget>;
    /** The Harbor user's password (secret). */
    harborPassword: pulumi.Input<string>;
    /** Minimum server versions (see versions.ts dbVersionFloorFor). */
    floor: pulumi.Input<DbVersionFloor>;
    /** Re-check when this changes; also a data dependency on whatever produced it. */
    after?: pulumi.Input<string>;
}

const RECHECK_ON = ["server", "target", "harborPassword", "floor", "after"];

export const databaseReadinessProvider: pulumi.dynamic.ResourceProvider = {
    async diff(_id: string, olds: DatabaseReadinessProps, news: DatabaseReadinessProps) {
        return diffFields(olds, news, { replaceOn: [], updateOn: RECHECK_ON });
    },
    async create(inputs: DatabaseReadinessProps) {
        const ready = await checkDatabaseReady(inputs.server, inputs.target, inputs.harborPassword, inputs.floor);
        return {
            id: `${inputs.server.host}:${inputs.server.port}/${inputs.target.database}`,
            outs: { ...inputs, serverVersion: ready.serverVersion, flavour: ready.flavour },
        };
    },
    async update(_id: string, _olds: DatabaseReadinessProps, news: DatabaseReadinessProps) {
        const ready = await checkDatabaseReady(news.server, news.target, news.harborPassword, news.floor);
        return { outs: { ...news, serverVersion: ready.serverVersion, flavour: ready.flavour } };
    },
};

export class DatabaseReadiness extends pulumi.dynamic.Resource {
    /** Version the server reported at the last check; depend on this to wait for readiness. */
    declare public readonly serverVersion: pulumi.Output<string>;
    declare public readonly flavour: pulumi.Output<string>;

    constructor(name: string, args: DatabaseReadinessArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            databaseReadinessProvider,
            name,
            { ...args, serverVersion: undefined, flavour: undefined },
            { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "harborPassword"] },
            "harbor-ha",
            "DatabaseReadiness",
        );
    }
}
