/**
 * Creates the node's directories (shared registry/job-log dirs, its own log dir, local Trivy
 * cache) with Harbor's ownership. Nothing is ever deleted: destroy leaves the data.
 */
import * as pulumi from "@pulumi/pulumi";
import { NodePaths } from "./paths";
import { hostPrepCreate } from "./scripts/host-prep";
import { hostCommand, NodeAccess } from "./transport";

export interface HostPrepArgs {
    access: NodeAccess;
    paths: NodePaths;
    /** Also prepare the node-local Trivy cache directories. */
    trivy: boolean;
    /** Refuse to run unless the shared root is a mountpoint (storage.type cephfs). */
    requireMount: boolean;
    /** Directories only the release profile mounts (e.g. Harbor 1.1's shared adminserver config). */
    extraDirs?: string[];
}

export class HostPrep extends pulumi.ComponentResource {
    /** Resolves once the directories exist; containers depend on it. */
    public readonly ready: pulumi.Output<string>;

    constructor(name: string, args: HostPrepArgs, opts?: pulumi.ComponentResourceOptions) {
        super("harbor-ha:node:HostPrep", name, {}, opts);
        const cmd = hostCommand(`${name}-dirs`, args.access, { create: hostPrepCreate(args.paths, args.trivy, args.requireMount, args.extraDirs) }, { parent: this, dependsOn: opts?.dependsOn });
        this.ready = cmd.stdout;
        this.registerOutputs({ ready: this.ready });
    }
}
