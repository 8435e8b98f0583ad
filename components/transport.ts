/**
 * How the program reaches a node: over SSH (remote.Command, Docker over ssh://) or on the machine
 * running Pulumi (local.Command, the local Docker socket; the dev stack). Components call these
 * helpers and never care which one is in use.
 */
import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { NodeSpec, SshSpec } from "./config/spec";
import { asRoot } from "./scripts/shell";

export interface NodeAccess {
    node: NodeSpec;
    ssh: SshSpec;
    /** Contents of the SSH private key (secret), when a key file is configured. */
    privateKey?: pulumi.Output<string>;
}

export interface HostCommandArgs {
    create: string;
    update?: string;
    delete?: string;
    /** Secret material goes here, never into the script text. */
    stdin?: pulumi.Input<string>;
    triggers?: pulumi.Input<unknown>[];
}

/**
 * No script reads PULUMI_COMMAND_STDOUT/STDERR. Over SSH the provider would pass them with
 * Setenv, which a stock sshd refuses (no AcceptEnv): every update and delete printed
 * "Unable to set 'PULUMI_COMMAND_STDOUT'".
 */
export const NO_PREVIOUS_OUTPUT_ENV = false;

/** One host command: a script (run as root) with optional stdin. */
export function hostCommand(
    name: string,
    access: NodeAccess,
    args: HostCommandArgs,
    opts: pulumi.CustomResourceOptions,
): command.remote.Command | command.local.Command {
    const wrap = (s?: string) => (s === undefined ? undefined : asRoot(s, access.node.transport === "ssh" ? access.node.sshUser : "root"));
    if (access.node.transport === "local") {
        return new command.local.Command(
            name,
            { create: args.create, update: args.update, delete: args.delete, stdin: args.stdin, triggers: args.triggers, interpreter: ["/bin/sh", "-c"], logging: "stdoutAndStderr", addPreviousOutputInEnv: NO_PREVIOUS_OUTPUT_ENV },
            opts,
        );
    }
    return new command.remote.Command(
        name,
        {
            connection: sshConnection(access),
            create: wrap(args.create)!,
            update: wrap(args.update),
            delete: wrap(args.delete),
            stdin: args.stdin,
            triggers: args.triggers,
            logging: "stdoutAndStderr",
            addPreviousOutputInEnv: NO_PREVIOUS_OUTPUT_ENV,
        },
        opts,
    );
}

export function sshConnection(access: NodeAccess): command.types.input.remote.ConnectionArgs {
    const n = access.node;
    return {
        host: n.address,
        port: n.sshPort,
        user: n.sshUser,
        privateKey: access.privateKey,
        hostKey: n.hostKey,
        // Bounded: an unreachable node fails the update in ~1 minute instead of hanging.
        dialErrorLimit: 4,
        perDialTimeout: 15,
    };
}

/** The Docker engine of one node. */
export function dockerProvider(name: string, access: NodeAccess, opts: pulumi.CustomResourceOptions): docker.Provider {
    const n = access.node;
    if (n.transport === "local") return new docker.Provider(name, { host: "unix:///var/run/docker.sock" }, opts);
    const sshOpts = [
        "-o", `StrictHostKeyChecking=${access.ssh.strictHostKeyChecking}`,
        "-o", "ConnectTimeout=15",
        "-o", "BatchMode=yes",
        // One multiplexed connection per node: many containers must not exhaust sshd's MaxStartups.
        "-o", "ControlMaster=auto", "-o", "ControlPath=~/.ssh/harbor-ha-%C", "-o", "ControlPersist=120",
    ];
    if (access.ssh.privateKeyPath) sshOpts.unshift("-i", access.ssh.privateKeyPath, "-o", "IdentitiesOnly=yes");
    const port = n.sshPort === 22 ? "" : `:${n.sshPort}`;
    return new docker.Provider(name, { host: `ssh://${n.sshUser}@${n.address}${port}`, sshOpts }, opts);
}
