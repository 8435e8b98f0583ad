/**
 * Benchmark (not a test): a rolling restart of 3 lab nodes through the program's own drain and
 * gate commands, with one request through the VIP every 50 ms. Prints requests sent, failed, the
 * longest gap between two answers and the time per wave. Each node's Harbor is the lab's
 * stand-in (tests/lab/harbor-standin.ts: what it stands for and where its answers come from);
 * "containers replaced" is every listener of the node gone for DOWN_SECONDS (default 3).
 * Needs root and the lab: `HARBOR_HA_LAB=1 npm run bench:rolling` (brings the lab up and down
 * unless one is already up).
 */
import { labDown, labInfo, labUp } from "../tests/lab/lab";
import { installBalancers, installStandins, longestGap, removeStandins, rollingRestart, VipClient } from "../tests/lab/lb-lab";
import { evaluateForLab } from "../tests/lab/program";

async function main() {
    const down = Number(process.env.DOWN_SECONDS ?? 3);
    const wasUp = (() => { try { labInfo(); return true; } catch { return false; } })();
    if (!wasUp) await labUp();
    try {
        const prog = await evaluateForLab();
        await installStandins(prog);
        await installBalancers(prog);
        const spec = prog.ev.spec;
        const client = new VipClient(labInfo().vip, spec.loadBalancer.frontendPort, spec.harbor.hostname);
        // Let VRRP settle (the top-priority node takes the VIP after preempt_delay at most).
        for (let i = 0; i < 120 && !(await client.request("/standin/node")).ok; i++) await new Promise((r) => setTimeout(r, 500));
        const loop = client.loop(50, 10 * 60_000);
        await new Promise((r) => setTimeout(r, 1000));
        const waves = await rollingRestart(prog, down);
        await new Promise((r) => setTimeout(r, 1500));
        const all = await loop.stop();
        console.log(`rolling restart of ${spec.nodes.length} nodes, ${down} s down per node, one request every 50 ms through the VIP`);
        console.log(`requests sent ${all.length}, failed ${all.filter((r) => !r.ok).length}, longest gap between answers ${longestGap(all)} ms`);
        for (const w of waves) console.log(`wave ${w.nodes.join("+")}: ${w.seconds.toFixed(1)} s (drain + ${down} s down + gate)`);
        await removeStandins(prog);
    } finally {
        if (!wasUp) await labDown();
    }
}
main().then(() => process.exit(0), (e) => {
    console.error(e);
    process.exit(1);
});
