/**
 * Rolling waves: nodes are changed wave by wave, each wave only after every node of the previous
 * one is healthy again. Waves are contiguous slices of the node list of rollout.maxUnavailable
 * nodes; the default keeps the number of waves at 1..5 up to 5 nodes and 3..4 above.
 */
import { NodeSpec } from "./config/spec";

export function rolloutWaves(nodes: NodeSpec[], maxUnavailable: number): NodeSpec[][] {
    const size = Math.max(1, maxUnavailable);
    const waves: NodeSpec[][] = [];
    for (let i = 0; i < nodes.length; i += size) waves.push(nodes.slice(i, i + size));
    return waves;
}

/**
 * The waves of a change of harbor.version: the first rollout.maxUnavailable nodes, then all the
 * others at once. The schema is migrated before the first wave, so old cores run on it for one
 * wave only; and the balancer serves one version at a time: old nodes while the first wave
 * changes, then the first wave's new nodes alone while the rest change (capacity drops to the
 * first wave for that time; pushes are refused by the read-only window anyway).
 */
export function upgradeWaves(nodes: NodeSpec[], maxUnavailable: number): NodeSpec[][] {
    const first = Math.max(1, Math.min(maxUnavailable, nodes.length - 1));
    return nodes.length <= 1 ? [nodes] : [nodes.slice(0, first), nodes.slice(first)];
}
