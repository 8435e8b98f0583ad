/**
 * The program's own host commands, for the lab: evaluate HarborCluster under mocks with a stack
 * config that points at the lab (node IPs, VIP, subnet, Ceph monitor, the real restricted Ceph key),
 * take each remote.Command's create/update/delete/stdin exactly as the component declared it, and
 * run it over SSH on the node its `connection.host` names. Nothing here re-creates a script.
 */
import { prodConfig, prodSecrets, raw } from "../support/fixtures";
import { DeployedRelease } from "../../components/upgrade/plan";
import { CapturedResource, evaluateCluster, Evaluation } from "../support/mock-capture";
import { cephClientKey, labCeph, labHostKey, labInfo, labNode, LabNode, ssh, SshOptions, SshResult } from "./lab";

export const REMOTE_COMMAND = "command:remote:Command";

/** A stack config for the lab: the documented prod example, re-pointed at the lab's addresses. */
export function labStackConfig(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    const lab = labInfo();
    const ceph = labCeph();
    return prodConfig(lab.nodes.length, {
        nodes: lab.nodes.map((n) => ({ name: n.name, address: n.ip, hostKey: labHostKey(n) })),
        ssh: { user: "root", privateKeyPath: lab.sshKey, strictHostKeyChecking: "yes" },
        loadBalancer: { mode: "keepalived", vip: lab.vip, subnet: lab.subnet, interface: "eth0" },
        storage: { type: "cephfs", cephfs: { monitors: [ceph.monAddr], path: ceph.path, clientName: ceph.clientName, client: "fuse" } },
        ...overrides,
    });
}

/**
 * Evaluate the program for the lab; `cephKey` defaults to the lab's real restricted key,
 * `deployed` (what the stack recorded last time) to a first deployment.
 */
export async function evaluateForLab(overrides: Record<string, unknown> = {}, cephKey = cephClientKey(), deployed?: DeployedRelease): Promise<LabProgram> {
    return new LabProgram(await evaluateCluster(raw(labStackConfig(overrides), { ...prodSecrets, cephKey }), "prod", deployed));
}

export type Phase = "create" | "update" | "delete";

export class LabProgram {
    constructor(readonly ev: Evaluation) {}

    /** A remote.Command by its resource name (e.g. "node1-storage-mount"). */
    command(name: string): CapturedResource {
        return this.ev.one(REMOTE_COMMAND, name);
    }

    /** The lab node a captured command targets (its connection.host). */
    target(name: string): LabNode {
        return labNode(this.command(name).inputs.connection.host as string);
    }

    /** The command string of one phase, exactly as declared. */
    script(name: string, phase: Phase = "create"): string {
        const s = this.command(name).inputs[phase];
        if (typeof s !== "string") throw new Error(`${name} declares no ${phase} command`);
        return s;
    }

    /**
     * Run one phase of a captured command on its node, as the command provider would: the
     * string goes to root's shell over SSH and the declared stdin (if any) is fed to it.
     * `stdin` overrides the declared one (wrong-key tests).
     */
    run(name: string, phase: Phase = "create", opts: SshOptions = {}): Promise<SshResult> {
        const declared = this.command(name).inputs.stdin as string | undefined;
        return ssh(this.target(name), this.script(name, phase), { check: false, ...opts, stdin: opts.stdin ?? declared });
    }

    /** Same, throwing with the command's output when it fails. */
    async ok(name: string, phase: Phase = "create", opts: SshOptions = {}): Promise<SshResult> {
        const r = await this.run(name, phase, opts);
        if (r.code !== 0) throw new Error(`${name} ${phase} on ${this.target(name).name} failed (exit ${r.code}${r.timedOut ? ", timed out" : ""}):\n${r.stderr}\n${r.stdout}`);
        return r;
    }

    /** Names of this kind of command, one per node in node order (suffix e.g. "storage-mount"). */
    perNode(suffix: string): string[] {
        return labInfo().nodes.map((n) => `${n.name}-${suffix}`);
    }
}
