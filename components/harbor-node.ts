/**
 * One complete Harbor instance on one node: a Docker network with a fixed subnet, then one
 * container per component from the release profile, in start order. The component knows
 * nothing about Harbor's config keys; it turns ContainerSpecs into docker resources.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as ipaddr from "ipaddr.js";
import { ClusterSpec, NodeSpec } from "./config/spec";
import { ContainerSpec, SharedValues } from "./profiles/types";
import { profileOf } from "./profiles";

export interface HarborNodeArgs {
    spec: ClusterSpec;
    node: NodeSpec;
    /** Docker engine of this node. */
    provider: docker.Provider;
    /** The node's containers rendered with the real values (renderNode over the shared values; secret). */
    rendered: pulumi.Output<ContainerSpec[]>;
    /** Whether shared.caCertificate is non-empty (decides the file list before values are known). */
    hasCaCertificate: boolean;
    /** Stack name (stable per stack, feeds the scanner robot prefix). */
    stack: string;
    /** Networks every container joins besides the node's own (the dev services' network). */
    extraNetworks?: pulumi.Output<string>[];
    /** Host prep, mounts and DB/Redis readiness: nothing starts before these. */
    dependsOn: pulumi.Input<pulumi.Resource>[];
}

/** Stand-in values: the container *structure* never depends on secret values, only on the spec. */
export function placeholderShared(spec: ClusterSpec, hasCa: boolean): SharedValues {
    const idx = spec.redis.endpoint.dbIndex;
    const x = "placeholder";
    return {
        secretKey: x, csrfKey: x, coreSecret: x, jobserviceSecret: x, registryHttpSecret: x, registryPassword: x,
        registryHtpasswd: x, adminPassword: x, tokenPrivateKey: x, tokenCertificate: x, tlsCertificate: x,
        tlsPrivateKey: x, caCertificate: hasCa ? x : "", databasePassword: x,
        redis: {
            coreUrl: x, registryUrl: x, jobserviceUrl: x, trivyUrl: x,
            harborUrl: idx.harbor === undefined ? undefined : x,
            cacheLayerUrl: idx.cacheLayer === undefined ? undefined : x,
            legacySessionUrl: x,
            registry: { addr: x, password: x, db: 1, enableTLS: false },
        },
    };
}

export function renderNode(spec: ClusterSpec, node: NodeSpec, shared: SharedValues, stack: string): ContainerSpec[] {
    return profileOf(spec).render(spec, node, shared, stack);
}

/** networkMode every Harbor container is created in (see the comment at its use). */
export const CREATE_ON_NETWORK = "bridge";
/** How long `up` waits for one container's health check (core migrates the schema on start). */
export const CONTAINER_WAIT_SECONDS = 300;

export class HarborNode extends pulumi.ComponentResource {
    public readonly network: docker.Network;
    public readonly containers: Record<string, docker.Container> = {};

    constructor(name: string, args: HarborNodeArgs, opts?: pulumi.ComponentResourceOptions) {
        super("harbor-ha:node:HarborNode", name, {}, opts);
        const { spec, node, provider } = args;
        const res = { parent: this, provider };

        const [net] = ipaddr.IPv4.parseCIDR(node.containerSubnet);
        const gwBytes = net.toByteArray();
        gwBytes[3] += 1;
        this.network = new docker.Network(
            `${name}-net`,
            {
                name: `${node.name}-harbor`,
                driver: "bridge",
                ipamConfigs: [{ subnet: node.containerSubnet, gateway: gwBytes.join(".") }],
            },
            { ...res, deleteBeforeReplace: true },
        );

        const shape = renderNode(spec, node, placeholderShared(spec, args.hasCaCertificate), args.stack);
        const rendered = args.rendered.apply((real) => {
            assertSameShape(shape, real);
            return real;
        });

        for (const [i, c] of shape.entries()) {
            const image = new docker.RemoteImage(`${name}-${c.component}-image`, { name: c.image, keepLocally: true }, res);
            const pick = <T>(f: (cs: ContainerSpec) => T) => rendered.apply((r) => f(r[i]));
            const envs = Object.keys(c.env).map((k) => {
                const v = pick((cs) => `${k}=${cs.env[k]}`);
                return c.secretEnv.includes(k) ? pulumi.secret(v) : pulumi.unsecret(v);
            });
            const uploads = c.files.map((f, j) => {
                const content = pick((cs) => cs.files[j].content);
                return {
                    file: f.path,
                    content: f.secret ? pulumi.secret(content) : pulumi.unsecret(content),
                    permissions: f.mode.toString(8).padStart(4, "0"),
                };
            });
            const after = c.after.map((a) => this.containers[a]).filter((x) => x !== undefined);
            this.containers[c.component] = new docker.Container(
                `${name}-${c.component}`,
                {
                    name: c.name,
                    image: image.imageId,
                    hostname: c.hostname,
                    user: c.user,
                    entrypoints: c.entrypoint,
                    command: c.command,
                    envs,
                    uploads,
                    mounts: c.mounts.map((m) => ({ type: "bind", source: m.source, target: m.target, readOnly: m.readOnly })),
                    ports: c.ports.map((p) => ({ internal: p.internal, external: p.external, ip: p.ip ?? "0.0.0.0", protocol: p.protocol ?? "tcp" })),
                    // "bridge", not the Harbor network: the provider (terraform-provider-docker 4.2.0,
                    // resource_docker_container_funcs.go) creates the container in networkMode
                    // *without* endpoint settings, then disconnects "bridge" and connects each
                    // networksAdvanced entry with its aliases and address. With networkMode set to
                    // the Harbor network the container is already attached there, so it keeps no
                    // aliases and a dynamic IP (seen on Docker 20.10), while state records both.
                    // "bridge" is also what the daemon reads back: no diff on refresh.
                    networkMode: CREATE_ON_NETWORK,
                    networksAdvanced: [
                        { name: this.network.name, aliases: c.aliases, ipv4Address: c.ipv4 },
                        ...(args.extraNetworks ?? []).map((name) => ({ name, aliases: [] as string[] })),
                    ],
                    // Local instances can reach services on the host by this name (Docker's host-gateway).
                    hosts: node.transport === "local" ? [{ host: "host.docker.internal", ip: "host-gateway" }] : undefined,
                    restart: spec.containers.restart,
                    // None at all when the profile changes none (1.x): an empty block is not what
                    // the daemon reports back, and a refresh diff here replaces the container.
                    capabilities: c.capDrop.length || c.capAdd.length ? { drops: c.capDrop, adds: c.capAdd } : undefined,
                    logDriver: c.log.driver,
                    logOpts: c.log.options,
                    healthcheck: {
                        tests: c.healthcheck.test,
                        interval: c.healthcheck.interval,
                        timeout: c.healthcheck.timeout,
                        retries: c.healthcheck.retries,
                        startPeriod: c.healthcheck.startPeriod,
                    },
                    // Every container must turn healthy before `up` goes on: a crash-looping
                    // proxy or jobservice fails the update instead of passing unnoticed.
                    wait: true,
                    waitTimeout: CONTAINER_WAIT_SECONDS,
                    destroyGraceSeconds: 30,
                },
                {
                    ...res,
                    // Fixed name, IP and host ports: the old container must go before the new one starts.
                    deleteBeforeReplace: true,
                    dependsOn: [...args.dependsOn, this.network, ...after],
                },
            );
        }
        this.registerOutputs({ network: this.network.name });
    }
}

function assertSameShape(a: ContainerSpec[], b: ContainerSpec[]): void {
    const sig = (l: ContainerSpec[]) => JSON.stringify(l.map((c) => [c.component, Object.keys(c.env), c.files.map((f) => f.path)]));
    if (sig(a) !== sig(b)) throw new Error("HarborNode: container structure depends on secret values (profile bug)");
}
