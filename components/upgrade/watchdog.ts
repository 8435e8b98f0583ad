/**
 * The read-only window's safety net: a detached process started when Harbor goes read-only. It
 * waits until the process that started it (the dynamic provider, which lives exactly as long as
 * the `pulumi up` that runs it) is gone, then puts Harbor's read-only setting back to what it was
 * before the window. After a successful upgrade the read-write step has done that already and
 * this repeats it (the same PUT: harmless); after a failure anywhere -- a gate, a container the
 * Docker provider could not create, Ctrl-C -- it is what lifts the window.
 *
 * `watchdogMain` runs as `node -e` in its own process, so it is self-contained: its own
 * requires and a minimal HTTPS PUT (the stack's modules are not loadable from there). Its
 * settings, the secret included, arrive on stdin, never in its command line; its log (no
 * secrets) goes to `logFile`.
 */
import { spawn } from "child_process";

export interface WatchdogOrders {
    /** Process to outlive. */
    pid: number;
    /** host:port, TLS server name, CA (PEM) or none. */
    address: string;
    hostname: string;
    tls: boolean;
    ca?: string;
    secret: string;
    /** The read_only value to put back. */
    restore: boolean;
    logFile: string;
    /** How often to look at `pid`, and how long to keep trying the PUT afterwards. */
    pollMs: number;
    retryForMs: number;
}

/* eslint-disable @typescript-eslint/no-var-requires */
export function watchdogMain(): void {
    const fs = require("fs") as typeof import("fs");
    const https = require("https") as typeof import("https");
    const http = require("http") as typeof import("http");
    let input = "";
    process.stdin.on("data", (d: Buffer) => (input += d.toString()));
    process.stdin.on("end", () => void run(JSON.parse(input) as WatchdogOrders));

    async function run(o: WatchdogOrders): Promise<void> {
        const log = (m: string) => fs.appendFileSync(o.logFile, `${new Date().toISOString()} ${m}\n`);
        const alive = () => {
            try {
                process.kill(o.pid, 0);
                return true;
            } catch (e) {
                return (e as NodeJS.ErrnoException).code === "EPERM";
            }
        };
        const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
        log(`watching pid ${o.pid}; will set read_only=${o.restore} on ${o.address} when it exits`);
        while (alive()) await sleep(o.pollMs);
        const deadline = Date.now() + o.retryForMs;
        for (;;) {
            try {
                const status = await put(o);
                if (status === 200) {
                    log(`pid ${o.pid} exited; read_only=${o.restore} set (HTTP 200)`);
                    return;
                }
                log(`PUT /api/v2.0/configurations answered HTTP ${status}`);
            } catch (e) {
                log(`PUT /api/v2.0/configurations failed: ${(e as Error).message}`);
            }
            if (Date.now() > deadline) {
                log(`gave up; Harbor may still be read-only: switch it back in the UI (Configuration > System Settings > Repository Read Only)`);
                return;
            }
            await sleep(5000);
        }
    }

    function put(o: WatchdogOrders): Promise<number> {
        const i = o.address.lastIndexOf(":");
        const body = Buffer.from(JSON.stringify({ read_only: o.restore }));
        const isIp = /^\d+\.\d+\.\d+\.\d+$/.test(o.hostname);
        return new Promise((resolve, reject) => {
            const req = (o.tls ? https : http).request(
                {
                    host: o.address.slice(0, i), port: Number(o.address.slice(i + 1)), method: "PUT", path: "/api/v2.0/configurations",
                    ca: o.ca, servername: isIp ? undefined : o.hostname, agent: false, timeout: 15000,
                    headers: { Host: o.hostname, Authorization: `Harbor-Secret ${o.secret}`, "Content-Type": "application/json", "Content-Length": String(body.length) },
                },
                (res) => {
                    res.resume();
                    res.on("end", () => resolve(res.statusCode ?? 0));
                },
            );
            req.on("timeout", () => req.destroy(new Error("timeout after 15 s")));
            req.on("error", reject);
            req.end(body);
        });
    }
}

/** Starts the watchdog detached (it outlives the provider and the engine); returns its pid. */
export function startWatchdog(orders: WatchdogOrders): number {
    const child = spawn(process.execPath, ["-e", `(${watchdogMain.toString()})()`], { detached: true, stdio: ["pipe", "ignore", "ignore"] });
    child.stdin!.end(JSON.stringify(orders));
    child.unref();
    return child.pid ?? 0;
}
