/**
 * Where things listen. A node's published ports and health frontend are reached by the other
 * nodes' balancers at the node's address, so they listen on every address or on exactly that
 * one. The client frontend follows the VIP in keepalived mode, which can only be bound as "*"
 * (the VIP is not on the host while another node holds it). A private haproxy (haproxyDir) has
 * no service that starts it at boot: it is for the dev stack's local instances only.
 */
import { CheckContext, problem } from "./context";

export function checkListeners(c: CheckContext): void {
    const { p } = c;
    p.nodes.forEach((n, i) => {
        if (n.listenAddress !== "0.0.0.0" && n.listenAddress !== n.address)
            problem(c, `nodes[${i}].listenAddress`, `must be 0.0.0.0 or ${n.name}'s own address ${n.address}: the other balancers reach its ports there`);
    });
    const lb = p.loadBalancer;
    if (lb.mode === "keepalived" && lb.listenAddress !== "*")
        problem(c, "loadBalancer.listenAddress", `must be * in keepalived mode: the VIP is only on the host that holds it, so haproxy binds every address`);
    if (lb.mode === "external" && lb.listenAddress !== "*")
        problem(c, "loadBalancer.listenAddress", "is only used when harbor-ha runs haproxy (mode keepalived or haproxy); remove it");
    if (lb.haproxyDir !== undefined) {
        if (lb.mode === "external") problem(c, "loadBalancer.haproxyDir", "is only used when harbor-ha runs haproxy (mode keepalived or haproxy); remove it");
        else if (p.nodes.some((n) => n.transport !== "local"))
            problem(c, "loadBalancer.haproxyDir", "a private haproxy is not started at boot; it is for transport: local nodes (the dev stack) only: remove it to use the host's haproxy service");
    }
}
