/**
 * Benchmark (not a test): what the bcrypt cost of the registry credential costs per request.
 * distribution's registry (Debian's docker-registry) checks the htpasswd hash on every request
 * core makes to it with that credential. For each cost, a registry with htpasswd auth answers
 * N authenticated `GET /v2/` in sequence; prints latency (mean, p50, p95) and the registry's CPU
 * time per request. Run: `npm run bench:bcrypt` (needs scripts/ci/install-tools.sh).
 */
import { execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";

const N = Number(process.env.REQUESTS ?? 200);
const USER = "harbor_registry_user";
const PASSWORD = "R3gistryPassw0rdWithoutSpecials00";

const freePort = () => new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
    });
});
const cpuTicks = (pid: number) => {
    const f = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return Number(f[11]) + Number(f[12]); // utime + stime, in clock ticks
};

async function measure(cost: number): Promise<string> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `harbor-ha-bcrypt-${cost}-`));
    fs.writeFileSync(path.join(dir, "passwd"), execFileSync("htpasswd", ["-nbBC", String(cost), USER, PASSWORD], { encoding: "utf8" }));
    const port = await freePort();
    const cfg = {
        version: 0.1,
        log: { level: "error" },
        storage: { filesystem: { rootdirectory: path.join(dir, "storage") } },
        http: { addr: `127.0.0.1:${port}` },
        auth: { htpasswd: { realm: "harbor-registry-basic-realm", path: path.join(dir, "passwd") } },
    };
    fs.writeFileSync(path.join(dir, "config.yml"), YAML.stringify(cfg));
    const reg = spawn("/usr/bin/docker-registry", ["serve", path.join(dir, "config.yml")], { stdio: "ignore" });
    try {
        const url = `http://127.0.0.1:${port}/v2/`;
        const auth = "Basic " + Buffer.from(`${USER}:${PASSWORD}`).toString("base64");
        for (let i = 0; i < 100; i++) if ((await fetch(url).then((r) => r.status, () => 0)) === 401) break; else await new Promise((r) => setTimeout(r, 100));
        await fetch(url, { headers: { Authorization: auth } }); // warm-up
        const cpu0 = cpuTicks(reg.pid!);
        const ms: number[] = [];
        for (let i = 0; i < N; i++) {
            const t0 = performance.now();
            const r = await fetch(url, { headers: { Authorization: auth } });
            await r.arrayBuffer();
            if (r.status !== 200) throw new Error(`cost ${cost}: HTTP ${r.status}`);
            ms.push(performance.now() - t0);
        }
        const cpuMs = ((cpuTicks(reg.pid!) - cpu0) * 1000) / Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }));
        ms.sort((a, b) => a - b);
        const mean = ms.reduce((a, b) => a + b, 0) / ms.length;
        return `${String(cost).padStart(4)}  ${mean.toFixed(2).padStart(7)}  ${ms[Math.floor(N / 2)].toFixed(2).padStart(7)}  ${ms[Math.floor(N * 0.95)].toFixed(2).padStart(7)}  ${(cpuMs / N).toFixed(2).padStart(14)}`;
    } finally {
        reg.kill("SIGKILL");
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

async function main() {
    console.log(`${N} sequential authenticated GET /v2/ against docker-registry ${execFileSync("/usr/bin/docker-registry", ["--version"], { encoding: "utf8" }).trim().split(" ").pop()}, ${os.cpus().length} CPUs`);
    console.log("cost  mean_ms   p50_ms   p95_ms  registry_cpu_ms");
    for (const cost of [5, 10]) console.log(await measure(cost));
}
main().catch((e) => {
    console.error(e);
    process.exit(1);
});
