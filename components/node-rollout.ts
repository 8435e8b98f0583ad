/**
 * The two resources that make a change to one node a rolling, gated step (README: "How a change
 * rolls"). The drain's triggers carry a fingerprint of everything the node's containers and mount
 * are made of, so it is replaced -- and runs -- exactly when that node is about to change; its
 * storage mount, host prep and containers depend on it. The gate depends on the containers and
 * carries the same fingerprint: it runs after them, waits until the node's own components answer,
 * and puts the node back. The next wave's drains depend on this wave's gates.
 */
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "crypto";
import { ClusterSpec, NodeSpec } from "./config/spec";
import { NodeProbe } from "./profiles/types";
import { drainScript, gateScript, retireScript } from "./scripts/rollout";
import { hostCommand, NodeAccess } from "./transport";

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

export function drainNode(
    name: string,
    args: { spec: ClusterSpec; access: NodeAccess; fingerprint: pulumi.Output<string>; after: pulumi.Resource[] },
    opts: pulumi.CustomResourceOptions,
): pulumi.CustomResource {
    return hostCommand(
        name,
        args.access,
        { create: drainScript(args.spec, args.access.node), triggers: [args.fingerprint] },
        { ...opts, dependsOn: args.after },
    );
}

export function gateNode(
    name: string,
    args: { spec: ClusterSpec; access: NodeAccess; probes: NodeProbe[]; fingerprint: pulumi.Output<string>; after: pulumi.Resource[] },
    opts: pulumi.CustomResourceOptions,
): pulumi.CustomResource {
    return hostCommand(
        name,
        args.access,
        { create: gateScript(args.spec, args.access.node, args.probes), triggers: [args.fingerprint] },
        { ...opts, dependsOn: args.after },
    );
}

/**
 * Nothing on create; on delete (the node leaves the stack), after the node's balancer has
 * stopped and before its containers go, it waits for in-flight transfers through the other
 * balancers' old haproxy processes to finish (bounded by rollout.drainTimeoutSeconds).
 */
export function retireNode(
    name: string,
    args: { spec: ClusterSpec; access: NodeAccess; after: pulumi.Resource[] },
    opts: pulumi.CustomResourceOptions,
): pulumi.CustomResource {
    return hostCommand(
        name,
        args.access,
        { create: `echo ${JSON.stringify(`harbor-ha: on removal, ${args.access.node.name}'s open connections get up to rollout.drainTimeoutSeconds before its containers go`)}`, delete: retireScript(args.spec, args.access.node) },
        { ...opts, dependsOn: args.after },
    );
}

/** What a node is made of, as one opaque value: its rendered containers and its storage mount. */
export function nodeFingerprint(rendered: pulumi.Output<unknown>, spec: ClusterSpec, node: NodeSpec, cephKey?: pulumi.Output<string>): pulumi.Output<string> {
    const key = cephKey ?? pulumi.output("");
    // Not the node's position or priority: removing another node must not drain this one.
    const mountHost = { address: node.address, transport: node.transport, sshPort: node.sshPort, sshUser: node.sshUser };
    // Secret: the render contains the node's secrets, and a hash is still derived from them.
    return pulumi.secret(pulumi.all([rendered, key]).apply(([r, k]) => sha256(JSON.stringify({ containers: r, storage: spec.storage, host: mountHost, cephKey: sha256(k) }))));
}
