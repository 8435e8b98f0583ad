/**
 * Node-local probes of a v2 node, used by haproxy's per-node health frontend and by the rollout
 * gate. Each one is what the component answers without asking a shared service:
 * - registry `GET /` and registryctl `GET /api/health` and portal `GET /` are the requests
 *   Harbor's own images use as their Docker health checks (make/photon/<component>/Dockerfile);
 * - core and jobservice get a TCP connect only: every core HTTP answer starts a session in Redis
 *   (a frozen Redis made even /api/v2.0/health hang at once), and jobservice's unauthenticated
 *   /api/v1/stats reads Redis;
 * - the proxy gets a TCP connect on the port clients use.
 * The scanner is left out on purpose: a dead Trivy must not take a node out of serving pulls.
 */
import { ClusterSpec, NodeSpec } from "../../config/spec";
import { NodeProbe } from "../types";
import { containerIp } from "./context";

export function v2NodeProbes(spec: ClusterSpec, node: NodeSpec): NodeProbe[] {
    const at = (component: string, port: number, kind: NodeProbe["kind"], path?: string): NodeProbe =>
        ({ component, address: containerIp(node.containerSubnet, component), port, kind, path });
    return [
        at("proxy", spec.harbor.protocol === "https" ? 8443 : 8080, "tcp"),
        at("core", 8080, "tcp"),
        at("portal", 8080, "http", "/"),
        at("registry", 5000, "http", "/"),
        at("registryctl", 8080, "http", "/api/health"),
        at("jobservice", 8080, "tcp"),
    ];
}
