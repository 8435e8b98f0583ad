/**
 * Addresses and networks: every node's Docker network for Harbor must be its own (a container
 * subnet that overlaps the LAN, the VIP or a shared service makes the host route that traffic
 * into the bridge), and must hold the fixed container addresses (.10-.17).
 */
import * as ipaddr from "ipaddr.js";
import { CheckContext, inSubnet, isIp, problem, subnetsOverlap } from "./context";

/** Docker's default bridge network (daemon default bip 172.17.0.1/16). */
const DOCKER_BRIDGE = "172.17.0.0/16";
/** The highest fixed container offset (trivy-adapter, profiles/v2/context.ts) plus the broadcast. */
const MAX_CONTAINER_PREFIX = 27;

const hostOf = (hp: string) => hp.replace(/:\d+$/, "");

/** Every address of a shared service or node that must stay outside the container subnets. */
function foreignAddresses(c: CheckContext): Array<[string, string]> {
    const { p } = c;
    const out: Array<[string, string]> = [];
    p.nodes.forEach((n, i) => out.push([`nodes[${i}].address`, n.address]));
    if (p.loadBalancer.vip) out.push(["loadBalancer.vip", p.loadBalancer.vip]);
    out.push(["database.host", p.database.host]);
    if (p.redis.host) out.push(["redis.host", p.redis.host]);
    (p.redis.sentinels ?? []).forEach((s, i) => out.push([`redis.sentinels[${i}]`, hostOf(s)]));
    (p.storage.cephfs?.monitors ?? []).forEach((m, i) => out.push([`storage.cephfs.monitors[${i}]`, hostOf(m)]));
    return out.filter(([, a]) => isIp(a));
}

export function checkNetworks(c: CheckContext): void {
    const { p } = c;
    const subnets: Array<[string, string]> = [["containers.subnet", p.containers.subnet]];
    p.nodes.forEach((n, i) => n.containerSubnet && subnets.push([`nodes[${i}].containerSubnet`, n.containerSubnet]));
    const foreign = foreignAddresses(c);
    for (const [field, subnet] of subnets) {
        const len = ipaddr.IPv4.parseCIDR(subnet)[1];
        if (len > MAX_CONTAINER_PREFIX) problem(c, field, `/${len} is too small for Harbor's fixed container addresses (.10-.17); use a /${MAX_CONTAINER_PREFIX} or larger, e.g. 172.30.0.0/24`);
        if (subnetsOverlap(subnet, DOCKER_BRIDGE)) problem(c, field, `overlaps Docker's default bridge ${DOCKER_BRIDGE}; use e.g. 172.30.0.0/24`);
        const lan = p.loadBalancer.subnet;
        if (lan && subnetsOverlap(subnet, lan)) problem(c, field, `overlaps the node network loadBalancer.subnet (${lan}); the host would route its LAN into the container bridge: use a private range no host uses, e.g. 172.30.0.0/24`);
        // Addresses on the LAN are covered by the overlap above: one problem, not one per address.
        for (const [where, addr] of foreign)
            if (inSubnet(addr, subnet) && !(lan && inSubnet(addr, lan) && subnetsOverlap(subnet, lan))) problem(c, field, `contains ${where} (${addr}); that traffic would go into the container bridge: use a range no host or service uses, e.g. 172.30.0.0/24`);
    }

    const lb = p.loadBalancer;
    if (lb.vip && lb.subnet && inSubnet(lb.vip, lb.subnet)) {
        const [net, len] = ipaddr.IPv4.parseCIDR(lb.subnet);
        const broadcast = ipaddr.IPv4.broadcastAddressFromCIDR(lb.subnet).toString();
        if (len < 31 && (lb.vip === net.toString() || lb.vip === broadcast))
            problem(c, "loadBalancer.vip", `${lb.vip} is the ${lb.vip === broadcast ? "broadcast" : "network"} address of ${lb.subnet}; pick a free host address`);
    }
    if (lb.vip) {
        for (const [where, addr] of foreign.filter(([w]) => w !== "loadBalancer.vip" && !w.startsWith("nodes[")))
            if (addr === lb.vip) problem(c, "loadBalancer.vip", `equals ${where}; the VIP must be an address nothing else uses`);
    }
}
