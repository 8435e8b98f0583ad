/**
 * Mounts the shared CephFS on one node (or, for storage.type local, creates the directory that
 * stands in for it). The client key travels on stdin; delete unmounts and keeps the data.
 */
import * as pulumi from "@pulumi/pulumi";
import { StorageSpec } from "./config/spec";
import { cephFsMountCreate, cephFsMountDelete, localSharedDirCreate } from "./scripts/cephfs";
import { hostCommand, NodeAccess } from "./transport";

export interface CephFsMountArgs {
    /** The node and how to reach it. */
    access: NodeAccess;
    /** Cluster storage settings (mount point, monitors, client). */
    storage: StorageSpec;
    /** Key of client.<clientName> (secret); required for storage.type cephfs. */
    cephKey?: pulumi.Output<string>;
}

export class CephFsMount extends pulumi.ComponentResource {
    /** The mount point on the node, known once the mount is verified. */
    public readonly mountPoint: pulumi.Output<string>;

    constructor(name: string, args: CephFsMountArgs, opts?: pulumi.ComponentResourceOptions) {
        super("harbor-ha:storage:CephFsMount", name, {}, opts);
        const { storage } = args;
        let cmd;
        if (storage.type === "cephfs") {
            if (!storage.cephfs || !args.cephKey) throw new Error("CephFsMount: storage.cephfs and cephKey are required for storage.type cephfs");
            const a = { ceph: storage.cephfs, mountPoint: storage.mountPoint };
            cmd = hostCommand(
                `${name}-mount`,
                args.access,
                { create: cephFsMountCreate(a), delete: cephFsMountDelete(a), stdin: args.cephKey },
                // Unmount the old before mounting the new at the same path.
                { parent: this, dependsOn: opts?.dependsOn, deleteBeforeReplace: true },
            );
        } else {
            cmd = hostCommand(`${name}-dir`, args.access, { create: localSharedDirCreate(storage.mountPoint) }, { parent: this, dependsOn: opts?.dependsOn });
        }
        this.mountPoint = cmd.stdout.apply(() => storage.mountPoint);
        this.registerOutputs({ mountPoint: this.mountPoint });
    }
}
