/**
 * What the dev stack will open and use, derived from the same code that declares it: the stack
 * config as Pulumi would hand it to the program, every listener (container ports, the dev
 * services' ports, haproxy's binds as rendered), the images, and the host directories that hold
 * its data. scripts/dev/preflight.ts checks them; tests/unit/dev-stack.test.ts checks that every
 * listener binds 127.0.0.1.
 */
import { DEV_SERVICES } from "../../components/config/defaults";
import { loadClusterSpec } from "../../components/config/load";
import { ClusterSpec, NodeSpec } from "../../components/config/spec";
import { devServicePorts } from "../../components/data-services";
import { placeholderShared, renderNode } from "../../components/harbor-node";
import { balancerHosts, lbBackends, localInstanceOf } from "../../components/load-balancer";
import { haproxyPaths, renderHaproxyConfig } from "../../components/scripts/load-balancer";
import { readStackConfig } from "../stack-config";

export { readStackConfig, REPO } from "../stack-config";

export interface Listener {
    proto: "tcp" | "udp";
    address: string;
    port: number;
    /** The config key that sets the port. */
    key: string;
    /** Who will hold it: a container of the stack, or the stack's haproxy. */
    owner: { container: string } | { haproxy: string };
}

function nodeKey(spec: ClusterSpec, n: NodeSpec, port: number): string {
    const i = spec.nodes.indexOf(n);
    const field = (["httpPort", "httpsPort", "syslogPort", "healthPort"] as const).find((f) => n[f] === port);
    return `nodes[${i}].${field ?? "?"}`;
}

function containerListeners(spec: ClusterSpec): Listener[] {
    return spec.nodes.flatMap((n) =>
        renderNode(spec, n, placeholderShared(spec, true), "dev").flatMap((c) =>
            c.ports.map((p) => ({ proto: p.protocol ?? "tcp", address: p.ip ?? "0.0.0.0", port: p.external, key: nodeKey(spec, n, p.external), owner: { container: c.name } })),
        ),
    );
}

function devServiceListeners(spec: ClusterSpec): Listener[] {
    if (!spec.devServices.enabled) return [];
    const p = devServicePorts(spec);
    return [
        { proto: "tcp", address: String(p.postgres.ip), port: p.postgres.external as number, key: "devServices.postgresPort", owner: { container: DEV_SERVICES.postgres } },
        { proto: "tcp", address: String(p.redis.ip), port: p.redis.external as number, key: "devServices.redisPort", owner: { container: DEV_SERVICES.redis } },
    ];
}

/** haproxy's binds, read from the config the program renders for each balancer host. */
function haproxyListeners(spec: ClusterSpec): Listener[] {
    if (spec.loadBalancer.mode === "external") return [];
    const pid = haproxyPaths(spec).pid;
    return balancerHosts(spec).flatMap((local) => {
        const cfg = renderHaproxyConfig(spec, local[0], lbBackends(spec), local.map((n) => localInstanceOf(spec, n)));
        return [...cfg.matchAll(/^\s*bind (\S+):(\d+)/gm)].map((m) => {
            const port = Number(m[2]);
            const health = local.find((n) => n.healthPort === port);
            const key = health ? nodeKey(spec, health, port) : port === spec.loadBalancer.frontendPort ? "loadBalancer.frontendPort" : "loadBalancer.httpRedirectPort";
            return { proto: "tcp" as const, address: m[1], port, key, owner: { haproxy: pid } };
        });
    });
}

export function devListeners(spec: ClusterSpec): Listener[] {
    return [...containerListeners(spec), ...devServiceListeners(spec), ...haproxyListeners(spec)];
}

export function devImages(spec: ClusterSpec): string[] {
    const harbor = spec.nodes.flatMap((n) => renderNode(spec, n, placeholderShared(spec, true), "dev").map((c) => c.image));
    const dev = spec.devServices.enabled ? [spec.devServices.postgresImage, spec.devServices.redisImage] : [];
    return [...new Set([...harbor, ...dev])];
}

/** Host directories holding the stack's data (blobs, logs, the dev database) and its haproxy files. */
export function devDataDirs(spec: ClusterSpec): string[] {
    const dirs = [spec.storage.mountPoint, spec.storage.localRoot];
    if (spec.devServices.enabled) dirs.push(spec.devServices.postgresDataDir);
    if (spec.loadBalancer.haproxyDir) dirs.push(spec.loadBalancer.haproxyDir);
    return dirs;
}

export function loadDevSpec(file: string): ClusterSpec {
    return loadClusterSpec(readStackConfig(file));
}
