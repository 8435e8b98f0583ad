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
