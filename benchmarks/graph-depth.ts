/**
 * Benchmark (not a test): evaluates the program under mocks for 3, 10 and 30 nodes and prints
 * the evaluation time, resource count, rollout waves and the depth of the dependency graph.
 * Nodes of a wave deploy in parallel and each wave adds the same few steps, so the depth depends
 * on the number of waves (3-4 with the default rollout.maxUnavailable), not on N.
 * Run: npm run bench
 */
import { performance } from "perf_hooks";
import { rolloutWaves } from "../components/rollout";
import { prodConfig, raw } from "../tests/support/fixtures";
import { dependencyDepth, evaluateCluster } from "../tests/support/mock-capture";

async function main() {
    console.log("nodes  waves  resources  eval_ms  graph_depth  heap_mb");
    const byWaves = new Map<number, Set<number>>();
    for (const n of [3, 10, 30]) {
        const t0 = performance.now();
        const ev = await evaluateCluster(raw(prodConfig(n, { loadBalancer: { mode: "keepalived", vip: "10.20.0.250", subnet: "10.20.0.0/24" } })));
        const ms = performance.now() - t0;
        const depth = dependencyDepth(ev);
        const waves = rolloutWaves(ev.spec.nodes, ev.spec.rollout.maxUnavailable).length;
        byWaves.set(waves, new Set([...(byWaves.get(waves) ?? []), depth]));
        const heap = process.memoryUsage().heapUsed / 1024 / 1024;
        console.log(`${String(n).padStart(5)}  ${String(waves).padStart(5)}  ${String(ev.resources.length).padStart(9)}  ${ms.toFixed(0).padStart(7)}  ${String(depth).padStart(11)}  ${heap.toFixed(0).padStart(7)}`);
    }
    const flat = [...byWaves.values()].every((d) => d.size === 1);
    console.log(flat ? "graph depth depends only on the number of waves, not on N" : "WARNING: graph depth grows with N at a fixed wave count");
    process.exit(flat ? 0 : 1);
}
main().catch((e) => {
    console.error(e);
    process.exit(1);
});
