/**
 * Outbound proxy env of core, jobservice and trivy-adapter, as Harbor's prepare renders it
 * (make/photon/prepare/utils/configs.py at v2.15.2): a component listed in proxy.components gets
 * HTTP(S)_PROXY and NO_PROXY = Harbor's internal names plus the user's; the others get the keys
 * empty. The internal names are Docker DNS names on the node's network and must never be proxied.
 */
import { ClusterSpec } from "../../config/spec";

/** INTERNAL_NO_PROXY_DN of make/photon/prepare/g.py (v2.15.2), in a fixed order. */
export const INTERNAL_NO_PROXY = [
    "127.0.0.1", "localhost", ".local", ".internal", "log", "db", "redis", "nginx", "core", "portal",
    "postgresql", "jobservice", "registry", "registryctl", "trivy-adapter", "exporter",
];

export function proxyEnv(spec: ClusterSpec, component: "core" | "jobservice" | "trivy"): Record<string, string> {
    const p = spec.proxy;
    if (!p.components.includes(component)) return { HTTP_PROXY: "", HTTPS_PROXY: "", NO_PROXY: "" };
    const extra = (p.noProxy ?? "").split(",").filter((x) => x && !INTERNAL_NO_PROXY.includes(x));
    return { HTTP_PROXY: p.httpProxy ?? "", HTTPS_PROXY: p.httpsProxy ?? "", NO_PROXY: [...INTERNAL_NO_PROXY, ...extra].join(",") };
}
