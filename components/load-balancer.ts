/**
 * One host's part of the load balancer: haproxy balancing to every node's Harbor proxy that its
 * health frontend reports serving, the health frontends of the instances on this host, and
 * (keepalived mode) a VRRP instance that holds the VIP while this host's haproxy accepts clients.
 */
import * as pulumi from "@pulumi/pulumi";
import { ClusterSpec, NodeSpec } from "./config/spec";
import {
    backendPort, bindAddress, haproxyCreate, haproxyDelete, haproxyPaths, keepalivedCreate, keepalivedDelete, LbBackend, LocalInstance,
    renderHaproxyConfig, renderHealthCheckScript, renderKeepalivedConfig, vrrpPeerCreate, vrrpPeerDelete,
} from "./scripts/load-balancer";
import { profileOf } from "./profiles";
import { hostCommand, NodeAccess } from "./transport";

/** Every node's Harbor proxy, as each balancer balances to it. */
export function lbBackends(spec: ClusterSpec): LbBackend[] {
    return spec.nodes.map((n) => ({ name: n.name, address: n.address, port: backendPort(spec, n), healthPort: n.healthPort }));
}

/** One balancer per host: instances sharing a machine (dev) share its haproxy. */
export function balancerHosts(spec: ClusterSpec): NodeSpec[][] {
    const hosts = new Map<string, NodeSpec[]>();
    for (const n of spec.nodes) hosts.set(n.address, [...(hosts.get(n.address) ?? []), n]);
    return [...hosts.values()];
}

/** One Harbor instance as its host's balancer judges it: its health frontend and local probes. */
export function localInstanceOf(spec: ClusterSpec, n: NodeSpec): LocalInstance {
    return { name: n.name, healthPort: n.healthPort, listen: bindAddress(n.listenAddress), probes: profileOf(spec).probes(spec, n) };
}

export interface LoadBalancerMemberArgs {
    spec: ClusterSpec;
    access: NodeAccess;
    /** Every node's Harbor proxy (this node included). */
    backends: LbBackend[];
    /** Other keepalived hosts exist. */
    hasPeers: boolean;
    /** This host's peer files on the other hosts (vrrpPeerEntry): on removal, keepalived here stops first. */
    announced: pulumi.Resource[];
    /** The Harbor instances on this host, judged by this host's health frontends. */
    localInstances: LocalInstance[];
    /** The other hosts' peer files on this host (their resources): keepalived starts after them. */
    peerFilesHere: pulumi.Resource[];
}

export class LoadBalancerMember extends pulumi.ComponentResource {
    constructor(name: string, args: LoadBalancerMemberArgs, opts?: pulumi.ComponentResourceOptions) {
        super("harbor-ha:lb:LoadBalancerMember", name, {}, opts);
        const node: NodeSpec = args.access.node;
        const haproxy = hostCommand(
            `${name}-haproxy`,
            args.access,
            {
                create: haproxyCreate(renderHaproxyConfig(args.spec, node, args.backends, args.localInstances), haproxyPaths(args.spec)),
                delete: haproxyDelete(haproxyPaths(args.spec)),
            },
            // A component's dependsOn does not reach its children: pass it on.
            { parent: this, dependsOn: opts?.dependsOn },
        );
        if (args.spec.loadBalancer.mode === "keepalived") {
            hostCommand(
                `${name}-keepalived`,
                args.access,
                {
                    create: keepalivedCreate(renderKeepalivedConfig(args.spec, node, args.hasPeers), renderHealthCheckScript(args.spec)),
                    delete: keepalivedDelete(),
                },
                { parent: this, dependsOn: [haproxy, ...args.announced, ...args.peerFilesHere] },
            );
        }
        this.registerOutputs({});
    }
}

/**
 * On host `on`, a file naming `peer` as a VRRP unicast peer. It belongs to `peer`: created when
 * `peer` joins, deleted (after `peer`'s keepalived has stopped) when it leaves.
 */
export function vrrpPeerEntry(name: string, on: NodeAccess, peer: NodeSpec, opts: pulumi.CustomResourceOptions): pulumi.Resource {
    return hostCommand(name, on, { create: vrrpPeerCreate(peer), delete: vrrpPeerDelete(peer) }, opts);
}
