/**
 * Ports bound on each host: the node's proxy (http, https), log (udp), health frontend and, when
 * the program runs the balancer there, haproxy's frontend and redirect ports. Two of them equal on
 * one host means one daemon cannot start.
 */
import { harborPort } from "../defaults";
import { CheckContext, problem } from "./context";

export function checkPorts(c: CheckContext): void {
    const { p } = c;
    const lb = p.loadBalancer;
    const balancerOnNodes = lb.mode !== "external";
    const frontend = lb.frontendPort ?? harborPort(p.harbor);
    const redirect = balancerOnNodes && p.harbor.protocol === "https" && lb.httpRedirect ? lb.httpRedirectPort : undefined;
    const frontendKey = lb.frontendPort === undefined && p.harbor.port !== undefined ? "harbor.port" : "loadBalancer.frontendPort";

    if (redirect !== undefined && redirect === frontend)
        problem(c, "loadBalancer.httpRedirectPort", `${redirect} is also the frontend port; pick another port or set loadBalancer.httpRedirect: false`);

    const byHost = new Map<string, number[]>();
    p.nodes.forEach((n, i) => byHost.set(n.address, [...(byHost.get(n.address) ?? []), i]));
    for (const idxs of byHost.values()) {
        const taken = new Map<string, string>(); // "tcp/8443" -> the key that binds it
        const bind = (proto: string, port: number, owner: string) => {
            const slot = `${proto}/${port}`;
            const other = taken.get(slot);
            if (!other) return void taken.set(slot, owner);
            const fix = other === "loadBalancer.httpRedirectPort" ? "change one of them or set loadBalancer.httpRedirect: false" : "change one of them";
            problem(c, owner, `port ${port} is already used by ${other} on the same host; ${fix}`);
        };
        if (balancerOnNodes) {
            bind("tcp", frontend, frontendKey);
            if (redirect !== undefined && redirect !== frontend) bind("tcp", redirect, "loadBalancer.httpRedirectPort");
        }
        for (const i of idxs) {
            const n = p.nodes[i];
            bind("tcp", n.httpPort, `nodes[${i}].httpPort`);
            if (p.harbor.protocol === "https") bind("tcp", n.httpsPort, `nodes[${i}].httpsPort`);
            if (balancerOnNodes) bind("tcp", n.healthPort, `nodes[${i}].healthPort`);
            bind("udp", n.syslogPort, `nodes[${i}].syslogPort`);
        }
    }
}
