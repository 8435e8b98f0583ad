/**
 * One node's part of the load balancer: haproxy balancing to every healthy node's Harbor proxy,
 * and (keepalived mode) a VRRP instance that holds the VIP while this node is healthy.
 */
import * as pulumi from "@pulumi/pulumi";
import { ClusterSpec, NodeSpec } from "./config/spec";
import {
    haproxyCreate, haproxyDelete, keepalivedCreate, keepalivedDelete, LbBackend,
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
}

export class LoadBalancerMember extends pulumi.ComponentResource {
    constructor(name: string, args: LoadBalancerMemberArgs, opts?: pulumi.ComponentResourceOptions) {
        super("harbor-ha:lb:LoadBalancerMember", name, {}, opts);
        const node: NodeSpec = args.access.node;
        const haproxy = hostCommand(
            `${name}-haproxy`,
            args.access,
            { create: haproxyCreate(renderHaproxyConfig(args.spec, node, args.backends)), delete: haproxyDelete() },
            { parent: this },
        );
        if (args.spec.loadBalancer.mode === "keepalived") {
            hostCommand(
                `${name}-keepalived`,
                args.access,
                {
                    create: keepalivedCreate(renderKeepalivedConfig(args.spec, node, args.peers), renderHealthCheckScript(args.spec, node)),
                    delete: keepalivedDelete(),
                },
                { parent: this, dependsOn: [haproxy] },
            );
        }
        this.registerOutputs({});
    }
}
