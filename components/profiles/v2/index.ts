/**
 * Harbor 2.x release profile: the containers `prepare` + docker-compose would create, built
 * directly, one renderer per component. What differs between releases is data in releases.ts.
 */
import { ClusterSpec, NodeSpec } from "../../config/spec";
import { ContainerSpec, SharedValues } from "../types";
import { v2Context } from "./context";
import { renderCore } from "./core";
import { renderJobservice } from "./jobservice";
import { renderLog } from "./log";
import { renderPortal } from "./portal";
import { renderProxy } from "./proxy";
import { renderRegistry, renderRegistryctl } from "./registry";
import { renderTrivyAdapter } from "./trivy-adapter";

export { containerIp, syslogTo } from "./context";
export { REGISTRY_USER } from "./registry";
export { robotPrefix } from "./core";

/** Components this profile deploys on every node, in start order. */
export function v2Components(spec: ClusterSpec): string[] {
    return renderOrder(spec).map(([name]) => name);
}

function renderOrder(spec: ClusterSpec) {
    const list = [
        ["log", renderLog], ["registry", renderRegistry], ["registryctl", renderRegistryctl], ["portal", renderPortal],
        ["core", renderCore], ["jobservice", renderJobservice], ["proxy", renderProxy],
    ] as const;
    return spec.harbor.trivy ? [...list, ["trivy-adapter", renderTrivyAdapter] as const] : list;
}

export function renderV2Node(spec: ClusterSpec, node: NodeSpec, shared: SharedValues, stack: string): ContainerSpec[] {
    const ctx = v2Context(spec, node, shared, stack);
    return renderOrder(spec).map(([, render]) => render(ctx));
}
