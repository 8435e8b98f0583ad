/**
 * Benchmark (not a test): evaluates the program under mocks for 3, 10 and 30 nodes and prints
 * the evaluation time, resource count and the depth of the dependency graph. Nodes deploy in
 * parallel, so the depth must stay the same as N grows.
 * Run: npm run bench
 */
import { performance } from "perf_hooks";
import { prodConfig, raw } from "../tests/support/fixtures";
import { dependencyDepth, evaluateCluster } from "../tests/support/mock-capture";

async function main() {
    console.log("nodes  resources  eval_ms  graph_depth  heap_mb");
    const depths: number[] = [];
    for (const n of [3, 10, 30]) {
        const t0 = performance.now();
        const ev = await evaluateCluster(raw(prodConfig(n, { loadBalancer: { mode: "keepalived", vip: "10.20.0.250", subnet: "10.20.0.0/24" } })));
        const ms = performance.now() - t0;
        const depth = dependencyDepth(ev);
        depths.push(depth);
        const heap = process.memoryUsage().heapUsed / 1024 / 1024;
        console.log(`${String(n).padStart(5)}  ${String(ev.resources.length).padStart(9)}  ${ms.toFixed(0).padStart(7)}  ${String(depth).padStart(11)}  ${heap.toFixed(0).padStart(7)}`);
    }
    const flat = depths.every((d) => d === depths[0]);
    console.log(flat ? "graph depth is independent of N: nodes deploy in parallel" : "WARNING: graph depth grows with N");
    process.exit(flat ? 0 : 1);
}
main().catch((e) => {
    console.error(e);
    process.exit(1);
});
