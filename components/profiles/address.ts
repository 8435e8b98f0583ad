/**
 * Fixed container addresses: each component of every profile sits at a fixed host offset inside
 * the node's container subnet, so its address survives restarts and the balancer's probes can
 * name it. The largest offset any profile uses is what the network check must leave room for.
 */
import * as ipaddr from "ipaddr.js";

/** The largest offset any profile hands out (v2: trivy-adapter at .17). */
export const MAX_CONTAINER_OFFSET = 17;

export function addressAt(subnet: string, offset: number): string {
    const [net] = ipaddr.IPv4.parseCIDR(subnet);
    const bytes = net.toByteArray();
    const n = ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) + offset;
    return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}
