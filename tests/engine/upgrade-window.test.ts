/**
 * Engine tier: the read-only window's lifetime under the real engine. The project's own
 * ReadOnlyWindow and ReadOnlyLift resources run in the real dynamic-provider host against a
 * stand-in for core's read-only switch (tests/support/harbor-config-standin.ts, answers from
 * Harbor v2.15.2's code). What only the real engine can show: that the provider process ends
 * with `pulumi up`, failed or not, so the watchdog lifts the window right after a failed up.
 */
import * as assert from "assert";
import * as fs from "fs";
import { ConfigStandin, startConfigStandin } from "../support/harbor-config-standin";
import { engineTestsSkipped, REPO_ROOT, requireToolchain, scratchStack, ScratchStack } from "./toolchain";

const SECRET = "engine-jobservice-secret-0123456789";

async function until(f: () => boolean, ms: number): Promise<number> {
    const start = Date.now();
    while (!f()) {
        if (Date.now() - start > ms) throw new Error(`not within ${ms} ms`);
        await new Promise((r) => setTimeout(r, 50));
    }
    return Date.now() - start;
}

describe("engine: the read-only window around a failed and a successful up (real engine, stand-in core)", function () {
    this.timeout(10 * 60 * 1000);
    let s: ScratchStack | undefined;
    let core: ConfigStandin | undefined;

    before(async function () {
        if (engineTestsSkipped()) this.skip();
        requireToolchain([]);
        core = await startConfigStandin(SECRET);
        s = await scratchStack("upgrade-window", "window");
        await s.stack.setAllConfig({
            repo: { value: REPO_ROOT },
            address: { value: core.address },
            jobserviceSecret: { value: SECRET, secret: true },
            fail: { value: "true" },
        });
    });
    after(async () => {
        if (core) await core.close();
        if (s && process.env.HARBOR_HA_KEEP_ENGINE_DIRS !== "1") s.cleanup();
    });

    it("a step after the window fails: up fails, and Harbor is read-write again within seconds of its end", async () => {
        const err = await s!.stack.up({ color: "never" }).then(() => undefined, (e: Error) => e);
        assert.ok(err && /the gate of node2 failed \(fixture\)/.test(err.message), String(err?.message).slice(-1500));
        const ended = Date.now();
        assert.strictEqual(core!.switches[0], true, "the window was opened during the up");
        const ms = await until(() => core!.switches.length >= 2, 30_000);
        console.log(`      read_only back to false ${ms} ms after the failed up returned (switches: ${JSON.stringify(core!.switches)})`);
        assert.deepStrictEqual(core!.switches, [true, false]);
        assert.ok(Date.now() - ended < 30_000);
    });

    it("fixed and run again: the retry opens the window again, the lift closes it, then nothing changes", async () => {
        core!.switches.length = 0;
        await s!.stack.setConfig("fail", { value: "false" });
        const r = await s!.stack.up({ color: "never" });
        assert.strictEqual(r.outputs.version.value, "v2.15.2");
        assert.deepStrictEqual(core!.switches.slice(0, 2), [true, false], "read-only again for the retry's waves, then lifted");
        await until(() => core!.switches.length >= 3, 30_000);
        assert.deepStrictEqual(core!.switches, [true, false, false], "the retry's watchdog repeats the lift when the up ends");
        const log = String(r.outputs.watchdogLog.value);
        assert.ok(fs.existsSync(log) && !fs.readFileSync(log, "utf8").includes(SECRET), "watchdog log without the secret");
        // The program's next run sees the version recorded: "steady", and nothing changes.
        await s!.stack.setConfig("kind", { value: "steady" });
        const again = await s!.stack.preview({ color: "never" });
        assert.deepStrictEqual(Object.keys(again.changeSummary).filter((k) => k !== "same"), [], JSON.stringify(again.changeSummary));
    });
});
