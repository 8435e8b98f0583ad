/**
 * The stack's proof that the nodes work as one registry, after every change to a node's
 * containers (and never on an unchanged `pulumi up`):
 * - the drift check: every node's shared settings, by digest, read live from the running containers;
 * - the canary: a push to one node, pulls from every other node and through the balancer.
 * Both come after every node's gate and balancer, so they test the cluster as clients see it.
 */
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as crypto from "crypto";
import { ClusterSpec, NodeSpec } from "../config/spec";
import { backendPort } from "../scripts/load-balancer";
import { knownHostsFile } from "../transport";
import { CanaryNode } from "./canary";
import { CanaryRobot, RegistryCanary } from "./canary-resources";
import { driftItems, driftScript } from "./drift";
import { DriftCheck } from "./drift-check";
import { DriftTarget } from "./drift-read";
import { Endpoint } from "./registry-client";

export interface VerifyArgs {
    spec: ClusterSpec;
    /** Per node: the fingerprint of its containers (secret). */
    fingerprints: Map<string, pulumi.Output<string>>;
    /** The CA the nodes' certificates chain to (PEM), or undefined for a publicly trusted certificate. */
    caCertificate?: pulumi.Output<string>;
    adminPassword: pulumi.Output<string>;
    /** Every gate and balancer: the checks run after the whole cluster converged. */
    after: pulumi.Resource[];
    parent: pulumi.Resource;
    randomProvider: random.Provider;
}

/** How the Pulumi machine reaches a node's Harbor proxy directly. */
function nodeEndpoint(spec: ClusterSpec, n: NodeSpec, ca?: string): Endpoint {
    const https = spec.harbor.protocol === "https";
    return { address: `${n.address}:${backendPort(spec, n)}`, hostname: spec.harbor.hostname, tls: https, ca: https ? ca : undefined };
}

/** How clients reach the cluster: the VIP, a node's haproxy (haproxy mode), or the external URL. */
export function balancerEndpoint(spec: ClusterSpec, ca?: string): Endpoint {
    const lb = spec.loadBalancer;
    const https = spec.harbor.protocol === "https";
    const address = lb.mode === "keepalived" ? `${lb.vip}:${lb.frontendPort}` : lb.mode === "haproxy" ? `${spec.nodes[0].address}:${lb.frontendPort}` : `${spec.harbor.hostname}:${spec.harbor.port}`;
    return { address, hostname: spec.harbor.hostname, tls: https, ca: https ? ca : undefined };
}

const sha256 = (s: string) => crypto.createHash("sha256").update(s).digest("hex");

export function verifyCluster(name: string, a: VerifyArgs): void {
    const { spec } = a;
    const items = driftItems(spec);
    const trigger = pulumi.secret(pulumi.all(spec.nodes.map((n) => a.fingerprints.get(n.name)!)).apply((f) => sha256(f.join("\n"))));
    const targets = spec.nodes.map((n): DriftTarget => ({
        name: n.name, transport: n.transport, address: n.address, sshPort: n.sshPort, sshUser: n.sshUser,
        knownHosts: knownHostsFile(pulumi.getProject(), pulumi.getStack(), n.name), privateKeyPath: spec.ssh.privateKeyPath, script: driftScript(n, items),
    }));
    const drift = new DriftCheck(`${name}-drift-check`, { targets, trigger }, { parent: a.parent, dependsOn: a.after });

    if (!spec.verify.canary) return;
    const ca = a.caCertificate ?? pulumi.output(undefined as unknown as string);
    // Secret whatever the provider reports: it reaches the robot, the canary and their state.
    const secret = pulumi.secret(new random.RandomPassword(`${name}-canary-robot-secret`, { length: 32, special: false, minUpper: 2, minLower: 2, minNumeric: 2 }, { parent: a.parent, provider: a.randomProvider }).result);
    const api = ca.apply((c) => balancerEndpoint(spec, c));
    const robot = new CanaryRobot(
        `${name}-canary-robot`,
        { api, adminPassword: a.adminPassword, project: spec.verify.project, robot: "canary", secret },
        { parent: a.parent, dependsOn: a.after },
    );
    const nodes = ca.apply((c) => spec.nodes.map((n): CanaryNode => ({ name: n.name, endpoint: nodeEndpoint(spec, n, c) })));
    new RegistryCanary(
        `${name}-canary`,
        {
            pushTo: nodes.apply((l) => l[0]),
            pullFrom: nodes.apply((l) => l.slice(1)),
            balancer: ca.apply((c): CanaryNode => ({ name: "the balancer", endpoint: balancerEndpoint(spec, c) })),
            robot: pulumi.secret({ name: robot.robotName, secret }),
            project: spec.verify.project,
            repository: "canary",
            trigger,
        },
        // After the drift check: a node with a differing secret is named by what differs.
        { parent: a.parent, dependsOn: [...a.after, robot, drift] },
    );
}
