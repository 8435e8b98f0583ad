/**
 * What the lab's load-balancer suite and the rolling-restart benchmark share: the stand-in for
 * each node's Harbor (tests/lab/harbor-standin.ts) installed on the lab nodes, the program's
 * balancer commands run in the engine's order, a client that sends requests through the VIP, and
 * a rolling restart through the program's own drain and gate commands.
 */
import * as fs from "fs";
import * as https from "https";
import * as path from "path";
import { v2NodeProbes } from "../../components/profiles/v2/probes";
import { rolloutWaves } from "../../components/rollout";
import { FLAGS_DIR, STANDIN_DIR, STANDIN_PY, StandinConfig, standinUnit } from "./harbor-standin";
import { copyToNode, labNodes, LabNode, ssh } from "./lab";
import { LabProgram } from "./program";

const HEALTHY_BODY = fs.readFileSync(path.join(__dirname, "../fixtures/real-harbor/health-v2.15.2-healthy.json"));

export interface Req {
    sentAt: number;
    doneAt: number;
    ok: boolean;
    node?: string;
    /** The Harbor version the answering node's stand-in says it runs (upgrade suite). */
    version?: string;
    error?: string;
}

/** Requests through the VIP, each on a new TCP connection (https, the stand-in's /standin/node). */
export class VipClient {
    constructor(readonly vip: string, readonly port: number, readonly hostname: string) {}

    /** One request; resolves, never rejects. */
    request(path: string, timeoutMs = 1000): Promise<Req> {
        const sentAt = Date.now();
        return new Promise((resolve) => {
            let settled = false;
            const done = (r: Omit<Req, "sentAt" | "doneAt">) => {
                if (settled) return;
                settled = true;
                resolve({ sentAt, doneAt: Date.now(), ...r });
            };
            const req = https.get(
                { host: this.vip, port: this.port, path, rejectUnauthorized: false, agent: false, servername: this.hostname, headers: { Host: this.hostname }, timeout: timeoutMs },
                (res) => {
                    let body = "";
                    res.on("data", (d) => (body += d));
                    res.on("end", () => {
                        try {
                            const j = JSON.parse(body) as { node?: string; version?: string };
                            done({ ok: res.statusCode === 200, node: j.node, version: j.version });
                        } catch {
                            done({ ok: false, error: `bad body ${body.slice(0, 80)}` });
                        }
                    });
                    res.on("error", (e) => done({ ok: false, error: e.message }));
                },
            );
            req.on("timeout", () => req.destroy(new Error("timeout")));
            req.on("error", (e) => done({ ok: false, error: e.message }));
            setTimeout(() => {
                req.destroy();
                done({ ok: false, error: "hard timeout" });
            }, timeoutMs + 500);
        });
    }

    /** A new request every `everyMs` (not waiting for the previous one), at most `maxMs` long, until stop(). */
    loop(everyMs = 100, maxMs = 60_000) {
        const reqs: Promise<Req>[] = [];
        const started = Date.now();
        let stopped = false;
        const timer = setInterval(() => {
            if (stopped || Date.now() - started > maxMs) return clearInterval(timer);
            reqs.push(this.request("/standin/node"));
        }, everyMs);
        return {
            async stop(): Promise<Req[]> {
                stopped = true;
                clearInterval(timer);
                return (await Promise.all(reqs)).sort((a, b) => a.sentAt - b.sentAt);
            },
            async snapshot(): Promise<Req[]> {
                return (await Promise.all(reqs.slice())).sort((a, b) => a.sentAt - b.sentAt);
            },
        };
    }
}

/** Longest time between two successive successful answers (ms). */
export function longestGap(reqs: Req[]): number {
    const ok = reqs.filter((r) => r.ok).map((r) => r.doneAt).sort((a, b) => a - b);
    let gap = 0;
    for (let i = 1; i < ok.length; i++) gap = Math.max(gap, ok[i] - ok[i - 1]);
    return gap;
}

export interface StandinOptions {
    /** Upgrade suite: the shared read-only switch on the lab host (harbor-standin.ts). */
    sharedConfig?: string;
    /** One certificate and key for every node (PEM), so a client can verify it; default: one self-signed per node. */
    tls?: { cert: string; key: string };
    /** The version each node's stand-in reports at first. */
    version?: string;
}

/** The stand-in on every lab node, at the addresses and ports the program's config gives it. */
export async function installStandins(prog: LabProgram, opts: StandinOptions = {}): Promise<void> {
    const spec = prog.ev.spec;
    if (spec.harbor.protocol !== "https") throw new Error("the stand-in serves https like the default config");
    await Promise.all(
        labNodes().map(async (n, i) => {
            const node = spec.nodes[i];
            const probes = v2NodeProbes(spec, node);
            const cfg: StandinConfig = {
                flags: FLAGS_DIR, healthyBody: `${STANDIN_DIR}/healthy.json`, cert: `${STANDIN_DIR}/cert.pem`, key: `${STANDIN_DIR}/key.pem`,
                trafficPort: node.httpsPort, probes, sharedConfig: opts.sharedConfig,
            };
            await ssh(n, `mkdir -p ${STANDIN_DIR} ${FLAGS_DIR} /usr/local/lib; rm -f ${FLAGS_DIR}/* ${STANDIN_DIR}/version`);
            if (opts.tls) {
                await copyToNode(n, `${STANDIN_DIR}/cert.pem`, opts.tls.cert);
                await copyToNode(n, `${STANDIN_DIR}/key.pem`, opts.tls.key);
            }
            if (opts.version) await copyToNode(n, `${STANDIN_DIR}/version`, opts.version);
            await copyToNode(n, "/usr/local/lib/harbor-standin.py", STANDIN_PY);
            await copyToNode(n, `${STANDIN_DIR}/healthy.json`, HEALTHY_BODY);
            await copyToNode(n, `${STANDIN_DIR}/config.json`, JSON.stringify(cfg));
            // The unit puts the components' fixed addresses on loopback (no Harbor network exists here).
            await copyToNode(n, "/etc/systemd/system/harbor-standin.service", standinUnit(`${STANDIN_DIR}/config.json`, probes.map((p) => p.address)));
            await ssh(
                n,
                `cd ${STANDIN_DIR} && { [ -s key.pem ] || openssl req -x509 -newkey rsa:2048 -nodes -days 2 ` +
                    `-subj /CN=${spec.harbor.hostname} -keyout key.pem -out cert.pem 2>/dev/null; }; ` +
                    `systemctl daemon-reload; systemctl enable -q harbor-standin; systemctl restart harbor-standin; ` +
                    `for i in $(seq 1 50); do curl -fsk https://127.0.0.1:${node.httpsPort}/api/v2.0/health >/dev/null && exit 0; sleep 0.1; done; exit 1`,
            );
        }),
    );
}

/** Stops the stand-ins and frees their ports and addresses (the lab is shared with later suites). */
export async function removeStandins(prog: LabProgram): Promise<void> {
    await Promise.all(labNodes().map((n, i) => ssh(n,
        `rm -f ${FLAGS_DIR}/*; systemctl disable -q --now harbor-standin 2>/dev/null || true; ` +
        v2NodeProbes(prog.ev.spec, prog.ev.spec.nodes[i]).map((p) => `ip addr del ${p.address}/32 dev lo 2>/dev/null || true`).join("; "),
        { check: false })));
}

/** Every LB command of the program for these nodes, in the order the engine runs them. */
export async function installBalancers(p: LabProgram, nodes: LabNode[] = labNodes()): Promise<void> {
    const names = nodes.map((n) => n.name);
    const entries = p.ev.byType("command:remote:Command").map((c) => c.name).filter((x) => /-lb-vrrp-peer-on-/.test(x));
    await Promise.all(entries.filter((e) => names.some((n) => e.startsWith(`${n}-`) || e.endsWith(`-on-${n}`))).map((e) => p.ok(e)));
    await Promise.all(nodes.map(async (n) => {
        await p.ok(`${n.name}-lb-haproxy`);
        await p.ok(`${n.name}-lb-keepalived`);
    }));
}

/**
 * A rolling restart as `pulumi up` runs one: wave by wave, per node the program's drain, then
 * every listener of the node's stand-in gone for `downSeconds` (its containers being replaced),
 * then the program's gate. Returns the time each wave took.
 */
export async function rollingRestart(prog: LabProgram, downSeconds = 3): Promise<{ nodes: string[]; seconds: number }[]> {
    const waves: { nodes: string[]; seconds: number }[] = [];
    for (const wave of rolloutWaves(prog.ev.spec.nodes, prog.ev.spec.rollout.maxUnavailable)) {
        const t0 = Date.now();
        await Promise.all(wave.map(async (w) => {
            const n = labNodes().find((x) => x.name === w.name)!;
            const d = await prog.ok(`${n.name}-drain`);
            if (!/drained/.test(d.stdout)) throw new Error(`${n.name}-drain: ${d.stdout}`);
            await ssh(n, `touch ${FLAGS_DIR}/stop-all; sleep ${downSeconds}; rm -f ${FLAGS_DIR}/stop-all`);
            const g = await prog.ok(`${n.name}-gate`);
            if (!/back in rotation/.test(g.stdout)) throw new Error(`${n.name}-gate: ${g.stdout}`);
        }));
        waves.push({ nodes: wave.map((w) => w.name), seconds: (Date.now() - t0) / 1000 });
    }
    return waves;
}
