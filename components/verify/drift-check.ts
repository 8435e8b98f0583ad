/**
 * `DriftCheck`: compares the digests every node's drift script printed (./drift.ts) and fails
 * `pulumi up` naming each node that differs and in what, never a value. It runs whenever a
 * node's digests change, i.e. after a change to that node's containers.
 */
import * as pulumi from "@pulumi/pulumi";
import { diffFields } from "../database/dynamic-diff";
import { compareDrift, describeDrift } from "./drift";

export interface DriftCheckProps {
    /** Node name -> its drift script's output (secret: digests of secrets). */
    digests: Record<string, string>;
}

function check(p: DriftCheckProps): { nodes: number; items: number } {
    const findings = compareDrift(p.digests);
    if (findings.length > 0) {
        const text = `drift between nodes: ${describeDrift(findings)}. Something on those nodes was changed outside the stack: restore it, or recreate that node's containers (pulumi up --replace on them)`;
        const err = new Error(text);
        err.stack = text;
        throw err;
    }
    const first = Object.values(p.digests)[0] ?? "";
    return { nodes: Object.keys(p.digests).length, items: first.split("\n").filter(Boolean).length };
}

export const driftCheckProvider: pulumi.dynamic.ResourceProvider = {
    async diff(_id: string, olds: DriftCheckProps, news: DriftCheckProps) {
        return diffFields(olds, news, { replaceOn: [], updateOn: ["digests"] });
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

    constructor(name: string, args: { digests: pulumi.Input<Record<string, pulumi.Input<string>>> }, opts?: pulumi.CustomResourceOptions) {
        super(driftCheckProvider, name, { ...args, nodes: undefined, items: undefined }, { ...opts, additionalSecretOutputs: ["digests"] }, "harbor-ha", "DriftCheck");
    }
}
