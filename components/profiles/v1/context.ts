/**
 * What every Harbor 1.x component renderer shares: the node, the release line's facts, and the
 * parts of a ContainerSpec that follow one rule (name, image, fixed address, log shipping).
 * Sources: make/ha/docker-compose.tpl (v1.5.x), make/docker-compose.tpl (v1.1.x) and the photon
 * Dockerfiles at each tag (../shared/reference/harbor-facts.md §2).
 */
import { ClusterSpec, NodeSpec } from "../../config/spec";
import { NodePaths, nodePaths } from "../../paths";
import { addressAt } from "../address";
import { ContainerSpec, SharedValues } from "../types";
import { file, health, syslogTo } from "../v2/context";
import { V1LineFacts, v1LineOf } from "./releases";

export type V1Component = "log" | "registry" | "adminserver" | "ui" | "jobservice" | "proxy";

export interface V1Context {
    spec: ClusterSpec;
    node: NodeSpec;
    shared: SharedValues;
    line: V1LineFacts;
    paths: NodePaths;
    version: string;
}

export function v1Context(spec: ClusterSpec, node: NodeSpec, shared: SharedValues): V1Context {
    const version = spec.harbor.version;
    return { spec, node, shared, line: v1LineOf(version), paths: nodePaths(spec.storage, node.name), version };
}

/** Host offsets in the node's container subnet (within the range the network check reserves). */
const ipOffset: Record<V1Component, number> = { log: 10, registry: 11, adminserver: 12, ui: 13, jobservice: 15, proxy: 16 };

export function v1ContainerIp(subnet: string, component: V1Component): string {
    return addressAt(subnet, ipOffset[component]);
}

function imageName(line: V1LineFacts, component: V1Component, version: string): string {
    if (component === "registry") return line.registryImage(version);
    if (component === "proxy") return line.nginxImage(version);
    return `harbor-${component}:${version}`;
}

/** The log container keeps a small local json-file log; every other one ships to it over UDP (v2/context.ts says why). */
const LOG_SINK_LOG: ContainerSpec["log"] = { driver: "json-file", options: { "max-size": "20m", "max-file": "3" } };

type Parts = Pick<ContainerSpec, "files" | "mounts" | "ports" | "healthcheck" | "after"> &
    Partial<Pick<ContainerSpec, "command">> & { env?: Record<string, string>; secretEnv?: string[] };

/**
 * One component's ContainerSpec. No user and no capability changes: the 1.x images start as
 * root, chown their config and drop to uid 10000 with sudo (1.5 start.sh), or run as root (1.1);
 * Harbor's 1.x compose files drop no capability either.
 */
export function container(ctx: V1Context, component: V1Component, parts: Parts): ContainerSpec {
    const { spec, node, line, version } = ctx;
    return {
        component,
        name: `${node.name}-${component}`,
        image: `${spec.harbor.imageRegistry}/${imageName(line, component, version)}`,
        aliases: [component],
        ipv4: v1ContainerIp(node.containerSubnet, component),
        user: undefined,
        capAdd: [],
        capDrop: [],
        log: component === "log" ? LOG_SINK_LOG : syslogTo(node.syslogPort, component),
        env: parts.env ?? {},
        secretEnv: parts.secretEnv ?? [],
        files: parts.files,
        mounts: parts.mounts,
        ports: parts.ports,
        healthcheck: parts.healthcheck,
        after: parts.after,
        command: parts.command,
    };
}

/** The same file and health-check helpers as 2.x (one cadence for every profile's start chain). */
export { file, health };

/** Internal URL of a 1.x app component on the node's network (1.1 listens on 80: no port in Harbor's URLs). */
export function appUrl(ctx: V1Context, component: "ui" | "adminserver" | "jobservice"): string {
    return ctx.line.appPort === 80 ? `http://${component}` : `http://${component}:${ctx.line.appPort}`;
}
