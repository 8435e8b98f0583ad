/**
 * The drift check: everything that must be identical on every node (token key and certificate,
 * secretkey, CSRF key, core/jobservice/registry secrets, registry credentials, external URL,
 * database and Redis settings) compared as it is inside the running containers, by digest only.
 *
 * What "must be identical" is derived, not listed: every env key and config file of the nodes'
 * renders whose content is the same on every node (node-specific ones, like a node's name,
 * addresses or its own TLS certificate, differ in the render and are left out). So a new shared
 * setting is checked without anyone remembering to add it here.
 */
import { ClusterSpec, NodeSpec } from "../config/spec";
import { placeholderShared, renderNode } from "../harbor-node";
import { ContainerSpec } from "../profiles/types";
import { q, script } from "../scripts/shell";

export interface DriftItem {
    component: string;
    kind: "env" | "file";
    /** Env key, or file path inside the container. */
    key: string;
}

export const itemName = (i: DriftItem) => `${i.component}.${i.kind}.${i.key}`;

/** Stand-in values that differ per node where the real ones do (each node has its own TLS certificate). */
function renderFor(spec: ClusterSpec, node: NodeSpec): ContainerSpec[] {
    const shared = placeholderShared(spec, true);
    return renderNode(spec, node, { ...shared, tlsCertificate: `placeholder-${node.name}`, tlsPrivateKey: `placeholder-${node.name}` }, "drift");
}

/** Items whose rendered content is the same on every node. */
export function driftItems(spec: ClusterSpec): DriftItem[] {
    const renders = spec.nodes.map((n) => renderFor(spec, n));
    const items: DriftItem[] = [];
    for (const c of renders[0]) {
        const others = renders.map((r) => r.find((x) => x.component === c.component));
        for (const key of Object.keys(c.env).sort())
            if (others.every((o) => o?.env[key] === c.env[key])) items.push({ component: c.component, kind: "env", key });
        for (const f of c.files)
            if (others.every((o) => o?.files.find((g) => g.path === f.path)?.content === f.content)) items.push({ component: c.component, kind: "file", key: f.path });
    }
    return items;
}

/**
 * Runs on a node: one line `<item> <sha256>` per item ("absent" when the container or the item
 * is missing), read from the running containers. Prints digests only, never a value.
 */
export function driftScript(node: NodeSpec, items: DriftItem[]): string {
    const lines = items.map((i) => {
        const c = q(`${node.name}-${i.component}`);
        const read = i.kind === "env"
            ? `docker inspect -f '{{range .Config.Env}}{{println .}}{{end}}' ${c} 2>/dev/null | grep -m1 ${q(`^${i.key}=`)}`
            : `docker exec ${c} cat ${q(i.key)} 2>/dev/null`;
        return `if v=$(${read}); then printf '%s %s\\n' ${q(itemName(i))} "$(printf '%s' "$v" | sha256sum | cut -d' ' -f1)"; else printf '%s absent\\n' ${q(itemName(i))}; fi`;
    });
    return script(...lines);
}

export interface DriftFinding {
    node: string;
    items: string[];
}

/** The nodes whose digest of an item differs from the one most nodes have (ties: the first node's). */
export function compareDrift(byNode: Record<string, string>): DriftFinding[] {
    const parsed = Object.fromEntries(Object.entries(byNode).map(([n, text]) => [n, Object.fromEntries(text.split("\n").filter(Boolean).map((l) => l.split(" ") as [string, string]))]));
    const nodes = Object.keys(parsed);
    const names = [...new Set(nodes.flatMap((n) => Object.keys(parsed[n])))].sort();
    const findings = new Map<string, string[]>();
    for (const item of names) {
        const counts = new Map<string, number>();
        for (const n of nodes) counts.set(parsed[n][item] ?? "absent", (counts.get(parsed[n][item] ?? "absent") ?? 0) + 1);
        const reference = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] === (parsed[nodes[0]][item] ?? "absent") ? -1 : 1))[0][0];
        for (const n of nodes) if ((parsed[n][item] ?? "absent") !== reference) findings.set(n, [...(findings.get(n) ?? []), item]);
    }
    return nodes.filter((n) => findings.has(n)).map((node) => ({ node, items: findings.get(node)! }));
}

export function describeDrift(findings: DriftFinding[]): string {
    return findings.map((f) => `${f.node} differs from the other nodes in ${f.items.join(", ")}`).join("; ");
}
