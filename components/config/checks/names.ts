/**
 * Node names become resource names (`<node>-drain`, `harbor-tls-<node>-key`, ...). A name whose
 * resources would collide with the cluster's own is refused here instead of as an engine error at
 * preview. Found by evaluating the program with every segment of the cluster's resource names as
 * a node name (tests/mocks/node-names.test.ts): only `ca` collides (harbor-tls-ca-key is the CA key).
 */
import { CheckContext, problem } from "./context";

export const RESERVED_NODE_NAMES: Readonly<Record<string, string>> = {
    ca: "its TLS key would be named like the cluster CA's key (harbor-tls-ca-key)",
};

export function checkNodeNames(c: CheckContext): void {
    const seenNames = new Map<string, number>();
    const seenAddr = new Map<string, number>();
    c.p.nodes.forEach((n, i) => {
        if (n.name in RESERVED_NODE_NAMES) problem(c, `nodes[${i}].name`, `"${n.name}" is reserved: ${RESERVED_NODE_NAMES[n.name]}; choose another name, e.g. ${n.name}1`);
        if (seenNames.has(n.name)) problem(c, `nodes[${i}].name`, `duplicate node name "${n.name}" (also nodes[${seenNames.get(n.name)}])`);
        seenNames.set(n.name, i);
        // Two instances may share an address only when they share one Docker engine on purpose (local dev).
        if (n.transport === "ssh") {
            if (seenAddr.has(n.address)) problem(c, `nodes[${i}].address`, `duplicate node address ${n.address} (also nodes[${seenAddr.get(n.address)}]); each ssh node is its own VM`);
            seenAddr.set(n.address, i);
        }
    });
    // Instances on one host need distinct Docker networks.
    const subnets = new Map<string, number>();
    c.p.nodes.forEach((n, i) => {
        const slot = `${n.address} ${n.containerSubnet ?? c.p.containers.subnet}`;
        if (subnets.has(slot)) problem(c, `nodes[${i}].containerSubnet`, `instances on one host need distinct container subnets (${n.containerSubnet ?? c.p.containers.subnet} is also used by nodes[${subnets.get(slot)}])`);
        subnets.set(slot, i);
    });
}
