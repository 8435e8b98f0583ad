/**
 * Runs the drift script (./drift.ts) on a node and returns what it printed: locally for
 * `transport: local`, else with the ssh client, verifying the host key the stack recorded (its
 * own known_hosts file, never the operator's). Used by the stack's DriftCheck (so every check
 * reads the nodes as they are now) and by scripts/drift-check.ts.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import { asRoot } from "../scripts/shell";

export interface DriftTarget {
    name: string;
    transport: "ssh" | "local";
    address: string;
    sshPort: number;
    sshUser: string;
    /** The stack's known_hosts file for this node (ssh). */
    knownHosts: string;
    privateKeyPath?: string;
    script: string;
}

export function readDigests(t: DriftTarget): { out: string; error?: string } {
    const last = (s: string, code: number | null) => (s || `exit ${code}`).trim().split("\n").pop()!;
    if (t.transport === "local") {
        const r = spawnSync("sh", ["-c", t.script], { encoding: "utf8", timeout: 120000 });
        return r.status === 0 ? { out: r.stdout } : { out: "", error: last(r.stderr, r.status) };
    }
    if (!fs.existsSync(t.knownHosts)) return { out: "", error: `no verified host key in ${t.knownHosts}: run pulumi preview or up once from this machine` };
    const args = ["-p", String(t.sshPort), "-o", "BatchMode=yes", "-o", "ConnectTimeout=15", "-o", "StrictHostKeyChecking=yes", "-o", `UserKnownHostsFile=${t.knownHosts}`, "-o", "GlobalKnownHostsFile=/dev/null"];
    if (t.privateKeyPath) args.push("-i", t.privateKeyPath, "-o", "IdentitiesOnly=yes");
    const r = spawnSync("ssh", [...args, `${t.sshUser}@${t.address}`, asRoot(t.script, t.sshUser)], { encoding: "utf8", timeout: 120000 });
    return r.status === 0 ? { out: r.stdout } : { out: "", error: last(r.stderr, r.status) };
}
