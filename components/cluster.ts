/**
 * The whole deployment: shared secrets and TLS once, the database and Redis seam once, then per
 * node (in parallel): storage mount -> host prep -> Harbor instance, and the load balancer.
 * Nodes depend only on shared resources, never on each other, so the graph depth is constant.
 */
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as tls from "@pulumi/tls";
import * as fs from "fs";
import { CephFsMount } from "./cephfs-mount";
import { ClusterSecrets } from "./cluster-secrets";
import { ClusterSpec } from "./config/spec";
import { wireDataServices } from "./data-services";
import { EndpointTls } from "./endpoint-tls";
import { HarborNode } from "./harbor-node";
import { HostPrep } from "./host-prep";
import { LoadBalancerMember } from "./load-balancer";
import { nodePaths } from "./paths";
import { SharedValues } from "./profiles/types";
import { backendPort } from "./scripts/load-balancer";
import { dockerProvider, NodeAccess } from "./transport";

export interface HarborClusterArgs {
    /** Validated stack config (components/config/load.ts). */
    spec: ClusterSpec;
    /** Stack name; stable identifiers derive from it. */
    stack: string;
}

export class HarborCluster extends pulumi.ComponentResource {
    public readonly externalUrl: string;
    public readonly caCertificate: pulumi.Output<string>;
    public readonly tokenCertificate: pulumi.Output<string>;
    public readonly adminPassword: pulumi.Output<string>;
    public readonly nodes: HarborNode[] = [];

    constructor(name: string, args: HarborClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("harbor-ha:index:HarborCluster", name, {}, opts);
        const { spec } = args;
        const p = { parent: this };

        // Default providers are disabled for the stack: one explicit provider per package.
        const randomProvider = new random.Provider(`${name}-random`, {}, p);
        const tlsProvider = new tls.Provider(`${name}-tls`, {}, p);
        const commandProvider = new command.Provider(`${name}-command`, {}, p);

        const secrets = new ClusterSecrets(`${name}-secrets`, { randomProvider, tlsProvider }, p);
        const endpoint = new EndpointTls(
            `${name}-tls`,
            {
                tls: spec.tls,
                providedKey: spec.secrets.tlsPrivateKey,
                hostname: spec.harbor.hostname,
                vip: spec.loadBalancer.mode === "keepalived" ? spec.loadBalancer.vip : undefined,
                nodes: spec.nodes,
                tlsProvider,
            },
            p,
        );
        const data = wireDataServices(`${name}`, spec, { parent: this, randomProvider, adminPassword: secrets.adminPassword });

        const privateKey = spec.ssh.privateKeyPath && spec.nodes.some((n) => n.transport === "ssh")
            ? pulumi.secret(readKey(spec.ssh.privateKeyPath))
            : undefined;
        const hasCa = spec.tls.mode === "generated" || spec.tls.caCertificate !== undefined;
        const https = spec.harbor.protocol === "https";

        for (const node of spec.nodes) {
            const access: NodeAccess = { node, ssh: spec.ssh, privateKey };
            const np = { parent: this, provider: commandProvider };
            const mount = new CephFsMount(`${node.name}-storage`, { access, storage: spec.storage, cephKey: spec.secrets.cephKey }, np);
            const prep = new HostPrep(`${node.name}-host`, { access, paths: nodePaths(spec.storage, node.name), trivy: spec.harbor.trivy, requireMount: spec.storage.type === "cephfs" }, { ...np, dependsOn: [mount] });
            const provider = dockerProvider(`${node.name}-docker`, access, p);
            const cert = endpoint.nodeCertificates[node.name];
            const shared: pulumi.Output<SharedValues> = pulumi
                .all<unknown>({
                    secretKey: secrets.secretKey,
                    csrfKey: secrets.csrfKey,
                    coreSecret: secrets.coreSecret,
                    jobserviceSecret: secrets.jobserviceSecret,
                    registryHttpSecret: secrets.registryHttpSecret,
                    registryPassword: secrets.registryPassword,
                    registryHtpasswd: secrets.registryHtpasswd,
                    adminPassword: secrets.adminPassword,
                    tokenPrivateKey: secrets.tokenPrivateKey,
                    tokenCertificate: secrets.tokenCertificate,
                    tlsCertificate: https ? cert.certificate : pulumi.output(""),
                    tlsPrivateKey: https ? cert.privateKey : pulumi.output(""),
                    caCertificate: hasCa ? endpoint.caCertificate : pulumi.output(""),
                    databasePassword: data.databasePassword,
                    redis: data.redis,
                })
                .apply((v) => v as unknown as SharedValues);
            this.nodes.push(
                new HarborNode(
                    `${node.name}-harbor`,
                    { spec, node, provider, shared: pulumi.secret(shared), hasCaCertificate: hasCa, stack: args.stack, dependsOn: [prep, ...data.ready] },
                    p,
                ),
            );
        }

        if (spec.loadBalancer.mode !== "external") {
            const backends = spec.nodes.map((n) => ({ name: n.name, address: n.address, port: backendPort(spec, n) }));
            // One balancer per host: instances sharing a machine (dev) share its haproxy.
            const hosts = new Map(spec.nodes.map((n) => [n.address, n] as const));
            for (const node of hosts.values()) {
                const access: NodeAccess = { node, ssh: spec.ssh, privateKey };
                const peers = [...hosts.keys()].filter((a) => a !== node.address);
                new LoadBalancerMember(`${node.name}-lb`, { spec, access, backends, peers }, { parent: this, provider: commandProvider });
            }
        }

        this.externalUrl = spec.harbor.externalUrl;
        this.caCertificate = endpoint.caCertificate;
        this.tokenCertificate = secrets.tokenCertificate;
        this.adminPassword = secrets.adminPassword;
        this.registerOutputs({ externalUrl: this.externalUrl, caCertificate: this.caCertificate });
    }
}

function readKey(path: string): string {
    try {
        return fs.readFileSync(path, "utf8");
    } catch (e) {
        throw new Error(`harbor-ha:ssh.privateKeyPath: cannot read ${path} (${(e as NodeJS.ErrnoException).code}); point it at the SSH private key file for the nodes`);
    }
}

