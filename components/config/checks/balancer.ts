/**
 * The VIP and VRRP: keepalived needs at least two nodes, each on the VIP's network at a literal
 * address (unicast peers are IPs; `keepalived -t` rejects a name), and distinct priorities where
 * the user chose them.
 */
import { defaultPriority } from "../defaults";
import { CheckContext, fieldSet, inSubnet, isIp, problem } from "./context";

export function checkBalancer(c: CheckContext): void {
    const { p } = c;
    const lb = p.loadBalancer;
    if (lb.mode === "keepalived") {
        if (!lb.vip) problem(c, "loadBalancer.vip", "missing; keepalived mode needs the virtual IP (or set loadBalancer.mode: external)");
        if (!lb.subnet) problem(c, "loadBalancer.subnet", "missing; keepalived mode needs the node network CIDR, e.g. 10.0.0.0/24");
        if (p.nodes.length < 2) problem(c, "loadBalancer.mode", "keepalived needs at least two nodes to move a VIP between; with one node use loadBalancer.mode: haproxy (or external)");
        p.nodes.forEach((n, i) => {
            if (!isIp(n.address)) problem(c, `nodes[${i}].address`, `keepalived's unicast peers must be IPv4 addresses, not names; give ${n.name}'s address (or use loadBalancer.mode: haproxy)`);
        });
        if (lb.vip && lb.subnet) {
            if (!inSubnet(lb.vip, lb.subnet)) problem(c, "loadBalancer.vip", `${lb.vip} is outside loadBalancer.subnet ${lb.subnet}`);
            p.nodes.forEach((n, i) => {
                if (n.address === lb.vip) problem(c, `nodes[${i}].address`, `equals the VIP ${lb.vip}; the VIP must be a free address`);
                else if (isIp(n.address) && !inSubnet(n.address, lb.subnet!))
                    problem(c, `nodes[${i}].address`, `${n.address} is outside loadBalancer.subnet ${lb.subnet}; VRRP needs every node on that network`);
            });
        }
        if (p.nodes.some((n) => n.transport === "local") && p.nodes.length > 1 && new Set(p.nodes.map((n) => n.address)).size === 1)
            problem(c, "loadBalancer.mode", "keepalived needs separate hosts; for instances on one machine use loadBalancer.mode: haproxy");

        // Equal defaults are legal VRRP (the higher address wins the tie); an explicit value that
        // equals another node's priority is a mistake the user can fix.
        const effective = p.nodes.map((n) => n.priority ?? defaultPriority(n.name));
        p.nodes.forEach((n, i) => {
            if (n.priority === undefined) return;
            const j = effective.findIndex((v, k) => k !== i && v === n.priority);
            if (j >= 0) problem(c, `nodes[${i}].priority`, `${n.priority} is also ${p.nodes[j].name}'s ${p.nodes[j].priority === undefined ? "default " : ""}priority; VRRP priorities must differ: pick another value`);
        });
    } else {
        // advertIntervalSeconds also paces haproxy's polls of the health frontends: used in every mode.
        for (const field of ["vip", "subnet", "virtualRouterId", "preemptDelaySeconds", "interface"])
            if (fieldSet(c, "loadBalancer", field)) problem(c, `loadBalancer.${field}`, `is only used with loadBalancer.mode keepalived (mode is ${lb.mode}); remove it`);
        p.nodes.forEach((n, i) => n.priority !== undefined && problem(c, `nodes[${i}].priority`, `is only used with loadBalancer.mode keepalived; remove it`));
    }
}
