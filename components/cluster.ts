/**
 * The whole deployment: shared secrets and TLS once, the database and Redis seam once, the
 * version-change steps before the first wave (backup -> read-only -> one migrator: upgrade/), then
 * per node: drain -> storage mount -> host prep -> Harbor instance -> gate, and the load balancer,
 * and after all of them the read-only lift and the verification.
 * Nodes of one wave run in parallel; a wave's drains wait for the previous wave's gates, so the
 * graph depth grows with the number of waves (a handful), not with the number of nodes.
 */
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as tls from "@pulumi/tls";
import * as fs from "fs";
import { CephFsMount } from "./cephfs-mount";
import { ClusterSecrets } from "./cluster-secrets";
import { ClusterSpec, NodeSpec } from "./config/spec";
import { wireDataServices } from "./data-services";
import { EndpointTls } from "./endpoint-tls";
import { HarborNode, placeholderShared, renderNode } from "./harbor-node";
import { HostPrep } from "./host-prep";
import { balancerHosts, lbBackends, LoadBalancerMember, localInstanceOf, vrrpPeerEntry } from "./load-balancer";
import { verifyCluster } from "./verify";
import { drainNode, gateNode, nodeFingerprint, retireNode } from "./node-rollout";
import { profileOf } from "./profiles";
import { wireUpgrade } from "./upgrade";
import { UpgradePlan, wavesFor } from "./upgrade/plan";
import { nodePaths } from "./paths";
import { SharedValues } from "./profiles/types";
import { SshHostKey } from "./ssh-host-key";
import { DEV_SERVICES } from "./config/defaults";
import { dockerProvider, NodeAccess } from "./transport";

export interface HarborClusterArgs {
    /** Validated stack config (components/config/load.ts). */
    spec: ClusterSpec;
    /** Stack name; stable identifiers derive from it. */
    stack: string;
    /** What this run does to the Harbor version (upgrade/plan.ts); default: a first deployment. */
    upgrade?: UpgradePlan;
}

export class HarborCluster extends pulumi.ComponentResource {
    public readonly externalUrl: string;
    public readonly caCertificate: pulumi.Output<string>;
    public readonly tokenCertificate: pulumi.Output<string>;
    public readonly adminPassword: pulumi.Output<string>;
    public readonly nodes: HarborNode[] = [];
    /** The release the whole cluster runs, known once an upgrade's last step is done. */
    public readonly harborVersion: pulumi.Output<string>;
    /** The dump taken before this version's migration ("" when none was needed). */
    public readonly backupPath: pulumi.Output<string>;
    public readonly backupSha256: pulumi.Output<string>;

    constructor(name: string, args: HarborClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("harbor-ha:index:HarborCluster", name, {}, opts);
        const { spec } = args;
        const p = { parent: this };
        const profile = profileOf(spec);

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
        const sharedValuesFor = (node: NodeSpec): pulumi.Output<SharedValues> => {
            const cert = endpoint.nodeCertificates[node.name];
            return pulumi.secret(pulumi
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
                .apply((v) => v as unknown as SharedValues));
        };

        // Checked once per ssh node; every command and the node's Docker provider wait for it.
        const hostKeys = new Map(
            spec.nodes
                .filter((n) => n.transport === "ssh")
                .map((n) => {
                    const check = new SshHostKey(`${n.name}-ssh-host-key`, { node: n.name, address: n.address, port: n.sshPort, pinned: n.hostKey }, { parent: this });
                    return [n.name, { key: check.key, check }] as const;
                }),
        );
        const accessOf = (n: NodeSpec): NodeAccess => ({ node: n, ssh: spec.ssh, privateKey, hostKey: hostKeys.get(n.name) });
        // Rendered once per node: the drain's fingerprint, the containers and the migrator read the same render.
        const renders = new Map(spec.nodes.map((n) => [n.name, pulumi.secret(sharedValuesFor(n).apply((s) => renderNode(spec, n, s, args.stack)))]));
        const extraNetworks = (n: NodeSpec) => (n.transport === "local" && data.devNetwork ? [data.devNetwork] : []);

        const plan = args.upgrade ?? { kind: "install", to: spec.harbor.version };
        const waves = wavesFor(spec, plan);
        const first = waves[0][0];
        const upgrade = wireUpgrade(name, {
            spec, plan, stack: args.stack, parent: this, commandProvider,
            migrateOn: { access: accessOf(first), rendered: renders.get(first.name)!, shape: renderNode(spec, first, placeholderShared(spec, hasCa), args.stack) },
            // By its fixed name: the migrator's script text must be plain, not an Output.
            extraNetworks: first.transport === "local" && spec.devServices.enabled ? [DEV_SERVICES.network] : [],
            jobserviceSecret: secrets.jobserviceSecret, databasePassword: data.databasePassword,
            caCertificate: hasCa ? endpoint.caCertificate : undefined, after: data.ready,
        });
        // Rolling waves (components/rollout.ts): a node's drain waits for the previous wave's gates.
        /** Per node, what its balancer waits for (and is deleted before): its gate and retire steps. */
        const afterHarbor = new Map<string, pulumi.Resource[]>();
        const fingerprints = new Map<string, pulumi.Output<string>>();
        /** Every gate and balancer: the verification runs once all of them are done. */
        const converged: pulumi.Resource[] = [];
        let previousWave: pulumi.Resource[] = upgrade.beforeWaves;
        for (const wave of waves) {
            const thisWave: pulumi.Resource[] = [];
            for (const node of wave) {
                const access = accessOf(node);
                const np = { parent: this, provider: commandProvider };
                const rendered = renders.get(node.name)!;
                const fingerprint = nodeFingerprint(rendered, spec, node, spec.secrets.cephKey);
                fingerprints.set(node.name, fingerprint);
                const drain = drainNode(`${node.name}-drain`, { spec, access, fingerprint, after: previousWave }, np);
                const mount = new CephFsMount(`${node.name}-storage`, { access, storage: spec.storage, cephKey: spec.secrets.cephKey }, { ...np, dependsOn: [drain] });
                const paths = nodePaths(spec.storage, node.name);
                const prep = new HostPrep(
                    `${node.name}-host`,
                    { access, paths, trivy: spec.harbor.trivy, requireMount: spec.storage.type === "cephfs", extraDirs: profile.hostDirs(paths) },
                    { ...np, dependsOn: [mount] },
                );
                const provider = dockerProvider(`${node.name}-docker`, access, p);
                const harbor = new HarborNode(
                    `${node.name}-harbor`,
                    {
                        spec, node, provider, rendered, hasCaCertificate: hasCa, stack: args.stack,
                        extraNetworks: extraNetworks(node),
                        dependsOn: [drain, prep, ...data.ready],
                    },
                    p,
                );
                this.nodes.push(harbor);
                const gate = gateNode(`${node.name}-gate`, { spec, access, probes: profile.probes(spec, node), fingerprint, after: Object.values(harbor.containers) }, np);
                const retire = retireNode(`${node.name}-retire`, { spec, access, after: Object.values(harbor.containers) }, np);
                afterHarbor.set(node.name, [gate, retire]);
                converged.push(gate);
                thisWave.push(gate);
            }
            previousWave = thisWave;
        }

        if (spec.loadBalancer.mode !== "external") {
            const backends = lbBackends(spec);
            const hosts = balancerHosts(spec);
            const keepalived = spec.loadBalancer.mode === "keepalived";
            const heads = hosts.map((l) => l[0]);
            // VRRP peer files: on every host, one per other host, owned by the host it names.
            const entries = new Map<string, { announced: pulumi.Resource[]; here: pulumi.Resource[] }>(heads.map((h) => [h.name, { announced: [], here: [] }]));
            if (keepalived) {
                for (const peer of heads) {
                    for (const on of heads.filter((h) => h !== peer)) {
                        const e = vrrpPeerEntry(`${peer.name}-lb-vrrp-peer-on-${on.name}`, accessOf(on), peer, { parent: this, provider: commandProvider });
                        entries.get(peer.name)!.announced.push(e);
                        entries.get(on.name)!.here.push(e);
                    }
                }
            }
            for (const local of hosts) {
                const node = local[0];
                const localInstances = local.map((n) => localInstanceOf(spec, n));
                // After the host's Harbor instances: on removal the balancer stops before they go.
                const member = new LoadBalancerMember(
                    `${node.name}-lb`,
                    {
                        spec, access: accessOf(node), backends, localInstances, hasPeers: heads.length > 1,
                        announced: entries.get(node.name)!.announced, peerFilesHere: entries.get(node.name)!.here,
                    },
                    { parent: this, provider: commandProvider, dependsOn: local.flatMap((n) => afterHarbor.get(n.name)!) },
                );
                converged.push(member);
            }
        }

        // After every gate and balancer; the checks come after it: the canary pushes.
        const lift = upgrade.lift(converged);
        verifyCluster(name, {
            spec, fingerprints, adminPassword: secrets.adminPassword, after: [...converged, lift], parent: this, randomProvider,
            caCertificate: hasCa ? endpoint.caCertificate : undefined,
        });

        this.externalUrl = spec.harbor.externalUrl;
        this.caCertificate = endpoint.caCertificate;
        this.tokenCertificate = secrets.tokenCertificate;
        this.adminPassword = secrets.adminPassword;
        this.harborVersion = lift.version;
        this.backupPath = upgrade.backup.path;
        this.backupSha256 = upgrade.backup.sha256;
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

