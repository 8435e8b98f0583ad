/**
 * What every v2 component renderer shares: the node being rendered, the release, and the parts
 * of a ContainerSpec that follow one rule for all components (name, image, fixed address,
 * capabilities, user, log driver). Sources: ../shared/reference/harbor-facts.md §1 and Harbor's
 * make/photon/prepare/templates/docker_compose/docker-compose.yml.jinja.
 */
import { ClusterSpec, NodeSpec } from "../../config/spec";
import { HARBOR_UID, NodePaths, nodePaths } from "../../paths";
import { addressAt } from "../address";
import { ContainerFile, ContainerSpec, SharedValues } from "../types";
import { envForRelease, V2Component } from "./releases";

export interface V2Context {
    spec: ClusterSpec;
    node: NodeSpec;
    shared: SharedValues;
    stack: string;
    paths: NodePaths;
}

export function v2Context(spec: ClusterSpec, node: NodeSpec, shared: SharedValues, stack: string): V2Context {
    return { spec, node, shared, stack, paths: nodePaths(spec.storage, node.name) };
}

/** Host offsets inside the node's container subnet: fixed, so addresses survive restarts. */
const ipOffset: Record<V2Component, number> = {
    log: 10, registry: 11, registryctl: 12, core: 13, portal: 14, jobservice: 15, proxy: 16, "trivy-adapter": 17,
};

export function containerIp(subnet: string, component: string): string {
    return addressAt(subnet, ipOffset[component as V2Component]);
}

/**
 * Harbor's compose cap_add per component, in the form Docker stores them when the provider
 * creates the container: the provider's Docker client (github.com/docker/docker v28.5.2,
 * client/container_create.go `normalizeCapabilities`) upper-cases, adds `CAP_`, de-duplicates and
 * sorts before sending, and the daemon reports that list back on refresh. Any other form is a
 * diff on `capabilities`, which replaces every container.
 */
const caps: Record<V2Component, string[]> = {
    log: ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_SETGID", "CAP_SETUID"],
    registry: ["CAP_CHOWN", "CAP_SETGID", "CAP_SETUID"],
    registryctl: ["CAP_CHOWN", "CAP_SETGID", "CAP_SETUID"],
    jobservice: ["CAP_CHOWN", "CAP_SETGID", "CAP_SETUID"],
    core: ["CAP_SETGID", "CAP_SETUID"],
    portal: ["CAP_CHOWN", "CAP_NET_BIND_SERVICE", "CAP_SETGID", "CAP_SETUID"],
    proxy: ["CAP_CHOWN", "CAP_NET_BIND_SERVICE", "CAP_SETGID", "CAP_SETUID"],
    "trivy-adapter": [],
};

const images: Record<V2Component, string> = {
    log: "harbor-log", registry: "registry-photon", registryctl: "harbor-registryctl", core: "harbor-core",
    portal: "harbor-portal", jobservice: "harbor-jobservice", proxy: "nginx-photon", "trivy-adapter": "trivy-adapter-photon",
};

/**
 * Every component but log ships its output to the node's log container over syslog. UDP, not
 * Harbor's TCP: Docker dials the syslog address when it starts a container, and after a reboot
 * dockerd starts all containers at once, so with TCP every one that starts before the log
 * container listens fails with "failed to initialize logging driver ... connection refused" and
 * stays Exited (255): restart policies do not retry a failed start. A UDP "dial" cannot be
 * refused; Harbor's log image listens on udp/10514 too (make/photon/log/rsyslog.conf).
 */
export function syslogTo(port: number, component: string): ContainerSpec["log"] {
    return { driver: "syslog", options: { "syslog-address": `udp://127.0.0.1:${port}`, tag: component } };
}
/** The log container itself keeps a small local json-file log. */
const LOG_SINK_LOG: ContainerSpec["log"] = { driver: "json-file", options: { "max-size": "20m", "max-file": "3" } };

type Base = Omit<ContainerSpec, "env" | "secretEnv" | "files" | "mounts" | "ports" | "healthcheck" | "after">;
type Parts = Pick<ContainerSpec, "files" | "mounts" | "ports" | "healthcheck" | "after"> &
    Partial<Pick<ContainerSpec, "hostname" | "command" | "entrypoint">> & { env?: Record<string, string>; secretEnv?: string[] };

/**
 * One component's ContainerSpec: the common parts plus the renderer's own. The env is cut to the
 * keys this release's template carries (releases.ts), so a renderer lists every key it knows and
 * never asks which release it renders for.
 */
export function container(ctx: V2Context, component: V2Component, parts: Parts): ContainerSpec {
    const { spec, node } = ctx;
    const base: Base = {
        component,
        name: `${node.name}-${component}`,
        image: `${spec.harbor.imageRegistry}/${images[component]}:${spec.harbor.version}`,
        aliases: [component],
        ipv4: containerIp(node.containerSubnet, component),
        user: component === "log" ? undefined : `${HARBOR_UID}:${HARBOR_UID}`,
        capAdd: caps[component],
        capDrop: ["ALL"],
        log: component === "log" ? LOG_SINK_LOG : syslogTo(node.syslogPort, component),
    };
    const env = envForRelease(component, spec.harbor.version, parts.env ?? {});
    const secretEnv = (parts.secretEnv ?? []).filter((k) => k in env);
    return { ...base, ...parts, env, secretEnv, files: [...parts.files, ...trustBundle(ctx, component)] };
}

export function file(path: string, content: string, secret = false, mode = 0o444): ContainerFile {
    return { path, content, mode, secret };
}

/**
 * Docker runs the first check one interval after start (start_interval needs Docker 25), and
 * every container waits for its check before its dependents start: a short interval keeps a
 * node's start chain (log -> registry/portal -> core -> jobservice/proxy) fast. A curl every 5 s
 * is cheap; 3 misses (15 s) mark it unhealthy.
 */
export function health(cmd: string): ContainerSpec["healthcheck"] {
    return { test: ["CMD-SHELL", cmd], interval: "5s", timeout: "5s", retries: 3, startPeriod: "30s" };
}

/**
 * Components whose compose service mounts Harbor's trust-certificates directory at
 * /harbor_cust_cert; their entrypoints (make/photon/common/install_cert.sh) append every
 * *.crt / *.pem / *.ca / *.ca-bundle there to the image's CA bundle before the process starts.
 */
const TRUSTING: ReadonlySet<V2Component> = new Set(["registry", "registryctl", "core", "jobservice", "proxy", "trivy-adapter"]);
export const TRUST_BUNDLE_PATH = "/harbor_cust_cert/harbor-ha-trusted-ca.crt";

function trustBundle(ctx: V2Context, component: V2Component): ContainerFile[] {
    const pem = ctx.spec.trustedCaCertificates;
    return pem && TRUSTING.has(component) ? [file(TRUST_BUNDLE_PATH, pem)] : [];
}
