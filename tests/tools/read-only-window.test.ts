/**
 * L2: the read-only window of a Harbor version change (components/upgrade/read-only.ts and
 * watchdog.ts) against a stand-in for Harbor core's read-only switch
 * (tests/support/harbor-config-standin.ts: answers captured from a real harbor_core v2.15.2, no
 * Harbor here). Real: the program's HTTP calls, and the watchdog as a detached OS process that
 * outlives the process that opened the window -- the dynamic provider, which the engine stops
 * when `pulumi up` ends, however it ends.
 */
import * as assert from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { liftWindow, openWindow, ReadOnlyWindowProps, WindowRecord } from "../../components/upgrade/read-only";
import { ConfigStandin, startConfigStandin } from "../support/harbor-config-standin";
import { until } from "../support/wait";

const SECRET = "jobservice-secret-0123456789abcdef";
const REPO = path.resolve(__dirname, "..", "..");

const props = (s: ConfigStandin, over: Partial<ReadOnlyWindowProps> = {}): ReadOnlyWindowProps => ({
    api: { address: s.address, hostname: "harbor.example.com", tls: false }, secret: SECRET, kind: "upgrade", to: "v2.15.2", enabled: true, ...over,
});

/**
 * Opens the window from a separate Node process (standing in for the dynamic provider), which
 * then ends the way the engine ends it: exits, or is killed.
 */
function openFromProvider(p: ReadOnlyWindowProps, end: "exit" | "SIGKILL"): Promise<WindowRecord> {
    const code = `
        const { openWindow } = require(${JSON.stringify(path.join(REPO, "components/upgrade/read-only"))});
        let input = ""; process.stdin.on("data", (d) => (input += d)); process.stdin.on("end", async () => {
            const r = await openWindow(JSON.parse(input), { pid: process.pid, pollMs: 100, retryForMs: 20000 });
            process.stdout.write(JSON.stringify(r) + "\\n");
            setInterval(() => undefined, 1000);
        });`;
    const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", code], { cwd: REPO, stdio: ["pipe", "pipe", "inherit"] });
    child.stdin.end(JSON.stringify(p));
    return new Promise((resolve, reject) => {
        let out = "";
        child.stdout.on("data", (d: Buffer) => {
            out += d.toString();
            if (!out.includes("\n")) return;
            const record = JSON.parse(out) as WindowRecord;
            if (end === "SIGKILL") child.kill("SIGKILL");
            else child.kill("SIGTERM");
            resolve(record);
        });
        child.on("exit", (c) => (out.includes("\n") ? undefined : reject(new Error(`provider stand-in exited ${c} before opening the window`))));
    });
}


describe("L2 the read-only window and its watchdog (stand-in core from Harbor's code)", function () {
    this.timeout(60_000);
    const standins: ConfigStandin[] = [];
    const standin = async (readOnly = false) => {
        const s = await startConfigStandin(SECRET, readOnly);
        standins.push(s);
        return s;
    };
    after(async () => {
        for (const s of standins) await s.close();
    });

    it("a failed up: the provider process is killed with Harbor read-only; the watchdog switches it back within seconds", async () => {
        const s = await standin();
        const w = await openFromProvider(props(s), "SIGKILL");
        assert.deepStrictEqual([w.skipped, w.before], ["", false]);
        assert.strictEqual(s.switches[0], true, "the window was opened");
        const ms = await until(() => s.switches.length === 2, 10_000);
        console.log(`      watchdog put read_only back ${ms} ms after the provider was killed`);
        assert.deepStrictEqual(s.switches, [true, false]);
        await until(() => fs.existsSync(w.watchdogLog) && /set \(HTTP 200\)/.test(fs.readFileSync(w.watchdogLog, "utf8")), 5_000);
        assert.ok(!fs.readFileSync(w.watchdogLog, "utf8").includes(SECRET), "no secret in the watchdog's log");
    });

    it("a successful up: the lift restores the setting, the watchdog repeats it when the provider ends; an operator's read-only stays on", async () => {
        for (const before of [false, true]) {
            const s = await standin(before);
            const w = await openFromProvider(props(s), "exit");
            assert.strictEqual(w.before, before);
            assert.strictEqual(await liftWindow(props(s).api, SECRET, w), "");
            await until(() => s.switches.length === 3, 10_000);
            assert.deepStrictEqual(s.switches, [true, before, before], `Harbor was ${before ? "read-only" : "read-write"} before the window`);
            assert.strictEqual(s.readOnly, before);
        }
    });

    it("a core of v2.1/v2.2 (only a stack that recorded no version runs one): the setting is read where those releases serve it", async () => {
        const s = await startConfigStandin(SECRET, true, "127.0.0.1", "v2.2.0");
        standins.push(s);
        const w = await openWindow(props(s, { kind: "unrecorded" }), { pid: process.pid, pollMs: 100, retryForMs: 1000 });
        assert.strictEqual(w.before, true, "read from /api/internal/configurations");
        assert.strictEqual(await liftWindow(props(s).api, SECRET, w), "");
        assert.deepStrictEqual(s.switches, [true, true]);
    });

    it("no window on install, on an unchanged version or when switched off; nothing is asked of Harbor", async () => {
        const s = await standin();
        for (const over of [{ kind: "install" as const }, { kind: "steady" as const }, { enabled: false }]) {
            const w = await openWindow(props(s, over), { pid: process.pid, pollMs: 100, retryForMs: 1000 });
            assert.notStrictEqual(w.skipped, "", JSON.stringify(over));
            assert.strictEqual(await liftWindow(props(s).api, SECRET, w), w.skipped);
        }
        assert.deepStrictEqual(s.switches, []);
    });

    it("a refused secret fails the step in one line naming the jobservice secret; Harbor is left as it was", async () => {
        const s = await standin();
        const err = await openWindow(props(s, { secret: "not-the-secret" }), { pid: process.pid, pollMs: 100, retryForMs: 1000 }).catch((e: Error) => e);
        assert.ok(err instanceof Error);
        console.log(`      refused secret -> ${err.message}`);
        assert.match(err.message, /^read-only window: Harbor refused the stack's jobservice secret \(read Harbor's read-only setting on 127\.0\.0\.1:\d+, HTTP 401\)/);
        assert.ok(!err.message.includes("not-the-secret"));
        assert.strictEqual(err.stack, err.message);
        assert.deepStrictEqual(s.switches, []);
    });
});
