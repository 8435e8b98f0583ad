/**
 * Node-local probes of a 1.x node, for the per-node health frontend and the rollout gate, by the
 * same rule as 2.x (v2/probes.ts): nothing that waits on the shared database or Redis.
 * - ui: TCP only. beego starts a session in Redis on every request (SessionOn, provider redis),
 *   so even /api/ping waits on Redis.
 * - adminserver: 1.5 `GET /api/ping` answers without the secret and touches nothing shared
 *   (src/adminserver/api/monitor.go); 1.1 has no ping: TCP.
 * - registry `GET /` (the image's own check); jobservice TCP (its stats need the UI secret);
 *   the proxy a TCP connect on the port clients use.
 */
import { ClusterSpec, NodeSpec } from "../../config/spec";
import { NodeProbe } from "../types";
import { V1Component, v1ContainerIp } from "./context";
import { v1ProxyPort } from "./proxy";
import { v1LineOf } from "./releases";

export function v1NodeProbes(spec: ClusterSpec, node: NodeSpec): NodeProbe[] {
    const line = v1LineOf(spec.harbor.version);
    const at = (component: V1Component, port: number, kind: NodeProbe["kind"], path?: string): NodeProbe =>
        ({ component, address: v1ContainerIp(node.containerSubnet, component), port, kind, path });
    return [
        at("proxy", v1ProxyPort(spec.harbor.protocol === "https"), "tcp"),
        at("ui", line.appPort, "tcp"),
        line.adminserverPing ? at("adminserver", line.appPort, "http", "/api/ping") : at("adminserver", line.appPort, "tcp"),
        at("registry", 5000, "http", "/"),
        at("jobservice", line.appPort, "tcp"),
    ];
}
