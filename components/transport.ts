/**
 * How the program reaches a node: over SSH (remote.Command, Docker over ssh://) or on the machine
 * running Pulumi (local.Command, the local Docker socket; the dev stack). Components call these
 * helpers and never care which one is in use.
 */
import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { NodeSpec, SshSpec } from "./config/spec";
import { asRoot } from "./scripts/shell";
import { keyOnly } from "./ssh-host-key";

export interface NodeAccess {
    node: NodeSpec;
    ssh: SshSpec;
    /** Contents of the SSH private key (secret), when a key file is configured. */
    privateKey?: pulumi.Output<string>;
    /** ssh nodes: the host key every connection verifies, and the check that produced it. */
    hostKey?: { key: pulumi.Output<string>; check: pulumi.Resource };
}

/** Where the program keeps its own ssh files on the machine running Pulumi (never ~/.ssh). */
export function stateDir(): string {
    return process.env.HARBOR_HA_STATE_DIR ?? path.join(os.homedir(), ".harbor-ha");
}

/** The known_hosts line OpenSSH matches for this address and port. */
export function knownHostsLine(address: string, port: number, key: string): string {
    return `${port === 22 ? address : `[${address}]:${port}`} ${keyOnly(key)}\n`;
}

/** The node's own known_hosts file: one line, the key the stack verified (written by writeKnownHosts). */
export function knownHostsFile(project: string, stack: string, node: string): string {
    return path.join(stateDir(), "known_hosts", `${project}.${stack}.${node}`);
}

/** Writes the node's own known_hosts file (one line: its verified key) and returns its path. */
function writeKnownHosts(node: NodeSpec, key: string): string {
    const file = knownHostsFile(pulumi.getProject(), pulumi.getStack(), node.name);
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    fs.writeFileSync(file, knownHostsLine(node.address, node.sshPort, key), { mode: 0o600 });
    return file;
}

/** Nothing connects to a node before its host key check passed (with its clear message). */
function withHostKeyCheck(access: NodeAccess, opts: pulumi.CustomResourceOptions): pulumi.CustomResourceOptions {
    if (!access.hostKey) return opts;
    const d = opts.dependsOn;
    const list: pulumi.Input<pulumi.Resource>[] = d === undefined ? [] : Array.isArray(d) ? d : [d as pulumi.Input<pulumi.Resource>];
    return { ...opts, dependsOn: [...list, access.hostKey.check] };
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
        withHostKeyCheck(access, opts),
    );
}

export function sshConnection(access: NodeAccess): command.types.input.remote.ConnectionArgs {
    const n = access.node;
    return {
        host: n.address,
        port: n.sshPort,
        user: n.sshUser,
        privateKey: access.privateKey,
        // A fixed-key check in the provider: a connection to any other key fails.
        hostKey: access.hostKey?.key,
        // Bounded: an unreachable node fails the update in ~1 minute instead of hanging.
        dialErrorLimit: 4,
        perDialTimeout: 15,
    };
}

/**
 * The local Docker engine. No `host`: the provider then reads DOCKER_HOST (scripts/dev-up.sh
 * sets it from the Docker CLI's current context), else the default socket, so rootless Docker
 * and other contexts work as `docker` itself does.
 */
export function localDockerProvider(name: string, opts: pulumi.CustomResourceOptions): docker.Provider {
    return new docker.Provider(name, {}, opts);
}

/** The Docker engine of one node. */
export function dockerProvider(name: string, access: NodeAccess, opts: pulumi.CustomResourceOptions): docker.Provider {
    const n = access.node;
    if (n.transport === "local") return localDockerProvider(name, opts);
    if (!access.hostKey) throw new Error(`dockerProvider: ssh node ${n.name} has no host key check`);
    const fixed = [
        "-o", "ConnectTimeout=15",
        "-o", "BatchMode=yes",
        // One multiplexed connection per node: many containers must not exhaust sshd's MaxStartups.
        "-o", "ControlMaster=auto", "-o", `ControlPath=${path.join(stateDir(), "cm-%C")}`, "-o", "ControlPersist=120",
    ];
    if (access.ssh.privateKeyPath) fixed.unshift("-i", access.ssh.privateKeyPath, "-o", "IdentitiesOnly=yes");
    // Only the verified key is known: no other key is accepted and nothing is learnt or written
    // to the operator's known_hosts. The file is rewritten on every run (a fresh machine has none).
    const sshOpts = access.hostKey.key.apply((key) => [
        ...fixed,
        "-o", "StrictHostKeyChecking=yes",
        "-o", `UserKnownHostsFile=${writeKnownHosts(n, key)}`,
        "-o", "GlobalKnownHostsFile=/dev/null",
    ]);
    const port = n.sshPort === 22 ? "" : `:${n.sshPort}`;
    return new docker.Provider(name, { host: `ssh://${n.sshUser}@${n.address}${port}`, sshOpts }, withHostKeyCheck(access, opts));
}
