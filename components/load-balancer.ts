/**
 * One host's part of the load balancer: haproxy balancing to every node's Harbor proxy that its
 * health frontend reports serving, the health frontends of the instances on this host, and
 * (keepalived mode) a VRRP instance that holds the VIP while this host's haproxy accepts clients.
 */
import * as pulumi from "@pulumi/pulumi";
import { ClusterSpec, NodeSpec } from "./config/spec";
import {
    haproxyCreate, haproxyDelete, keepalivedCreate, keepalivedDelete, LbBackend, LocalInstance,
    renderHaproxyConfig, renderHealthCheckScript, renderKeepalivedConfig,
} from "./scripts/load-balancer";
import { hostCommand, NodeAccess } from "./transport";

export interface LoadBalancerMemberArgs {
    spec: ClusterSpec;
    access: NodeAccess;
    /** Every node's Harbor proxy (this node included). */
    backends: LbBackend[];
    /** Addresses of the other keepalived nodes (unicast VRRP peers). */
    peers: string[];
    /** The Harbor instances on this host, judged by this host's health frontends. */
    localInstances: LocalInstance[];
}

export class LoadBalancerMember extends pulumi.ComponentResource {
    constructor(name: string, args: LoadBalancerMemberArgs, opts?: pulumi.ComponentResourceOptions) {
        super("harbor-ha:lb:LoadBalancerMember", name, {}, opts);
        const node: NodeSpec = args.access.node;
        const haproxy = hostCommand(
            `${name}-haproxy`,
            args.access,
            { create: haproxyCreate(renderHaproxyConfig(args.spec, node, args.backends, args.localInstances)), delete: haproxyDelete() },
            // A component's dependsOn does not reach its children: pass it on.
            { parent: this, dependsOn: opts?.dependsOn },
        );
        if (args.spec.loadBalancer.mode === "keepalived") {
            hostCommand(
                `${name}-keepalived`,
                args.access,
                {
                    create: keepalivedCreate(renderKeepalivedConfig(args.spec, node, args.peers), renderHealthCheckScript(args.spec)),
                    delete: keepalivedDelete(args.spec),
                },
                { parent: this, dependsOn: [haproxy] },
            );
        }
        this.registerOutputs({});
    }
}
