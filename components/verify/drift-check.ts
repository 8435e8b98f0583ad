/**
 * `DriftCheck`: reads every node's shared settings from its running containers (./drift-read.ts)
 * and compares them by digest (./drift.ts), failing `pulumi up` with each node that differs and
 * in what, never a value. It runs whenever a node's containers change (its trigger is the nodes'
 * fingerprints), and reads the nodes live each time: after a failure, the next `up` reads again,
 * so a fixed node passes without any --replace.
 */
import * as pulumi from "@pulumi/pulumi";
import { diffFields } from "../database/dynamic-diff";
import { oneLineError } from "../one-line-error";
import { compareDrift, describeDrift } from "./drift";
import { DriftTarget, readDigests } from "./drift-read";

export interface DriftCheckProps {
    targets: DriftTarget[];
    /** Changes whenever a node's containers change (secret: derived from the renders). */
    trigger: string;
}

function check(p: DriftCheckProps): { nodes: number; items: number } {
    const byNode: Record<string, string> = {};
    for (const t of p.targets) {
        const r = readDigests(t);
        if (r.error) throw oneLineError(`drift check: cannot read ${t.name} (${r.error})`);
        byNode[t.name] = r.out;
    }
    const findings = compareDrift(byNode);
    if (findings.length > 0)
        throw oneLineError(`drift between nodes: ${describeDrift(findings)}. Something on those nodes was changed outside the stack: restore it, or recreate that node's containers (pulumi up --replace on them)`);
    const first = Object.values(byNode)[0] ?? "";
    return { nodes: p.targets.length, items: first.split("\n").filter(Boolean).length };
}

export const driftCheckProvider: pulumi.dynamic.ResourceProvider = {
    async diff(_id: string, olds: DriftCheckProps, news: DriftCheckProps) {
        // Which nodes and what to read; the known_hosts path depends on the machine, not the cluster.
        const shape = (p: DriftCheckProps) => ({ ...p, targets: (p.targets ?? []).map((t) => ({ ...t, knownHosts: "" })) });
        return diffFields(shape(olds), shape(news), { replaceOn: [], updateOn: ["targets", "trigger"] });
    },
    async create(inputs: DriftCheckProps) {
        return { id: "drift", outs: { ...inputs, ...check(inputs) } };
    },
    async update(_id: string, _olds: DriftCheckProps, news: DriftCheckProps) {
        return { outs: { ...news, ...check(news) } };
    },
};

export class DriftCheck extends pulumi.dynamic.Resource {
    /** How many nodes and items the last check compared. */
    declare public readonly nodes: pulumi.Output<number>;
    declare public readonly items: pulumi.Output<number>;

    constructor(name: string, args: { targets: pulumi.Input<DriftTarget[]>; trigger: pulumi.Input<string> }, opts?: pulumi.CustomResourceOptions) {
        super(driftCheckProvider, name, { ...args, nodes: undefined, items: undefined }, { ...opts, additionalSecretOutputs: ["trigger"] }, "harbor-ha", "DriftCheck");
    }
}
