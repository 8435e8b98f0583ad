/**
 * `SshHostKey`: each ssh node's host identity, checked before anything connects to the node.
 *
 * Its `check` reads the key the node presents (ssh-keyscan, on the machine running Pulumi) and
 * compares it with the expected one: the pinned `nodes[].hostKey`, or with
 * `ssh.strictHostKeyChecking: accept-new` the key recorded in the stack at first contact. A
 * mismatch fails preview and up for that node with the fingerprints and the fix, before any
 * command or container runs. The real connections then verify the same key themselves: remote
 * commands through the command provider's `hostKey` (a fixed-key check), the Docker provider's
 * ssh through a known_hosts file of the program's own (the operator's ~/.ssh/known_hosts is never
 * read or written).
 */
import * as pulumi from "@pulumi/pulumi";
import { diffFields } from "./database/dynamic-diff";

export interface SshHostKeyProps {
    node: string;
    address: string;
    port: number;
    /** Pinned key ("<type> <base64>"); undefined = trust on first use. */
    pinned?: string;
    /** The key every connection verifies: the pinned one, or the one first seen. */
    key?: string;
}

/** "<type> <base64>" without a comment. */
export function keyOnly(line: string): string {
    return line.trim().split(/\s+/).slice(0, 2).join(" ");
}

/** OpenSSH's fingerprint form: SHA256:<unpadded base64 of the key blob>. */
export function fingerprint(line: string): string {
    const crypto = require("crypto") as typeof import("crypto");
    const blob = Buffer.from(keyOnly(line).split(" ")[1] ?? "", "base64");
    return `SHA256:${crypto.createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}`;
}

/** The keys the host presents, "<type> <base64>" each; throws with ssh-keyscan's reason. */
export function scanHostKeys(address: string, port: number, types = "ed25519,ecdsa,rsa"): string[] {
    const { spawnSync } = require("child_process") as typeof import("child_process");
    const r = spawnSync("ssh-keyscan", ["-T", "10", "-p", String(port), "-t", types, address], { encoding: "utf8", timeout: 30_000 });
    if (r.error) throw new Error(`cannot run ssh-keyscan (${(r.error as NodeJS.ErrnoException).code}); install openssh-client on the machine running Pulumi`);
    const keys = r.stdout.split("\n").filter((l) => l && !l.startsWith("#")).map((l) => l.trim().split(/\s+/).slice(1, 3).join(" "));
    if (keys.length === 0) throw new Error(`no SSH host key from ${address}:${port} (${r.stderr.split("\n").filter((l) => l && !l.startsWith("#")).join("; ") || "no answer"})`);
    return keys;
}

/** Why the node's presented keys do not include `expected`, or undefined. */
export function hostKeyMismatch(props: SshHostKeyProps, presented: string[], expected: string, source: "pinned" | "recorded"): string | undefined {
    const want = keyOnly(expected);
    if (presented.some((k) => keyOnly(k) === want)) return undefined;
    const type = want.split(" ")[0];
    const sameType = presented.find((k) => k.startsWith(`${type} `));
    const now = sameType ? `presents ${type} key ${fingerprint(sameType)}` : `presents no ${type} key (only ${presented.map((k) => k.split(" ")[0]).join(", ")})`;
    const was = source === "pinned" ? `the key pinned as its hostKey in harbor-ha:nodes (${fingerprint(want)})` : `the key recorded in this stack at first contact (${fingerprint(want)})`;
    const fixLine = `set ${props.node}'s hostKey in harbor-ha:nodes${sameType ? ` to '${keyOnly(sameType)}'` : ""} (scripts/host-keys.sh prints the pulumi config line)`;
    return (
        `SSH host key of ${props.node} (${props.address}:${props.port}) changed: it ${now}, not ${was}. ` +
        `Nothing was run on the node. If ${props.node} was rebuilt on purpose, check the new fingerprint on its console ` +
        `(ssh-keygen -lf /etc/ssh/ssh_host_${type.replace(/^ssh-|-sha2-nistp\d+$/g, "")}_key.pub) and pin it: ${fixLine}; otherwise do not connect: someone may be in between.`
    );
}

/** Prefer the strongest key type the host offers. */
function preferred(keys: string[]): string {
    for (const type of ["ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-rsa"]) {
        const k = keys.find((x) => x.startsWith(`${type} `));
        if (k) return k;
    }
    return keys[0];
}

export const sshHostKeyProvider: pulumi.dynamic.ResourceProvider = {
    async check(olds: Record<string, unknown>, news: Record<string, unknown>) {
        const props = news as unknown as SshHostKeyProps;
        const recorded = (olds as Partial<SshHostKeyProps>).key;
        const expected = props.pinned ?? recorded;
        let presented: string[];
        try {
            presented = scanHostKeys(props.address, props.port, expected ? keyTypeArg(expected) : undefined);
        } catch (e) {
            // A node that is down cannot be checked, and nothing connects to it either: with a key
            // already known the check passes (every real connection still verifies that key), so
            // an up that does not touch the node is not blocked by it.
            if (expected) return { inputs: { ...news, key: keyOnly(expected) } };
            return { inputs: news, failures: [{ property: "address", reason: `cannot read the SSH host key of ${props.node} to record it: ${(e as Error).message}` }] };
        }
        if (expected) {
            const why = hostKeyMismatch(props, presented, expected, props.pinned ? "pinned" : "recorded");
            if (why) return { inputs: news, failures: [{ property: "key", reason: why }] };
        }
        return { inputs: { ...news, key: keyOnly(expected ?? preferred(presented)) } };
    },
    async diff(_id: string, olds: SshHostKeyProps, news: SshHostKeyProps) {
        return diffFields(olds, news, { replaceOn: [], updateOn: ["address", "port", "pinned", "key"] });
    },
    async create(inputs: SshHostKeyProps) {
        return { id: `${inputs.node}@${inputs.address}:${inputs.port}`, outs: { ...inputs } };
    },
    async update(_id: string, _olds: SshHostKeyProps, news: SshHostKeyProps) {
        return { outs: { ...news } };
    },
};

/** ssh-keyscan's -t value for a key line's type. */
function keyTypeArg(line: string): string {
    const type = keyOnly(line).split(" ")[0];
    if (type === "ssh-ed25519") return "ed25519";
    if (type === "ssh-rsa") return "rsa";
    if (type.startsWith("ecdsa-")) return "ecdsa";
    return "ed25519,ecdsa,rsa";
}

export interface SshHostKeyArgs {
    node: string;
    address: string;
    port: number;
    pinned?: string;
}

export class SshHostKey extends pulumi.dynamic.Resource {
    /** The key remote commands and the Docker provider verify ("<type> <base64>"). */
    declare public readonly key: pulumi.Output<string>;

    constructor(name: string, args: SshHostKeyArgs, opts?: pulumi.CustomResourceOptions) {
        super(sshHostKeyProvider, name, { ...args, pinned: args.pinned && keyOnly(args.pinned), key: args.pinned && keyOnly(args.pinned) }, opts, "harbor-ha", "SshHostKey");
    }
}
