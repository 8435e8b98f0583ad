/**
 * Engine tier: a version change's read-only window and recorded version under the real engine.
 * The project's own ReadOnlyWindow and ReadOnlyLift resources and its readDeployedRelease() run
 * in the real language and dynamic-provider hosts, against a stand-in for core's read-only
 * switch (tests/support/harbor-config-standin.ts, answers captured from a real harbor_core v2.15.2). What only
 * the real engine can show: that the provider process ends with `pulumi up`, failed or not (so
 * the watchdog lifts the window right after a failed up), that a failed up leaves the previously
 * recorded version in the stack's outputs, and that the StackReference to the stack itself is
 * no change for `preview --expect-no-changes`.
 */
import * as assert from "assert";
import * as fs from "fs";
import { ConfigStandin, startConfigStandin } from "../support/harbor-config-standin";
import { until } from "../support/wait";
import { engineTestsSkipped, REPO_ROOT, requireToolchain, scratchStack, ScratchStack } from "./toolchain";

const SECRET = "engine-jobservice-secret-0123456789";


describe("engine: a version change's read-only window and recorded version (real engine, stand-in core)", function () {
    this.timeout(10 * 60 * 1000);
    let s: ScratchStack | undefined;
    let core: ConfigStandin | undefined;
    const set = (values: Record<string, string>) => s!.stack.setAllConfig(Object.fromEntries(Object.entries(values).map(([k, value]) => [k, { value }])));

    before(async function () {
        if (engineTestsSkipped()) this.skip();
        requireToolchain([]);
        core = await startConfigStandin(SECRET);
        s = await scratchStack("upgrade-window", "window");
        await s.stack.setConfig("jobserviceSecret", { value: SECRET, secret: true });
        await set({ repo: REPO_ROOT, address: core.address, fail: "false", kind: "install", to: "v2.14.1" });
    });
    after(async () => {
        if (core) await core.close();
        if (s && process.env.HARBOR_HA_KEEP_ENGINE_DIRS !== "1") s.cleanup();
    });

    it("install records its version; no window", async () => {
        const r = await s!.stack.up({ color: "never" });
        assert.strictEqual(r.outputs.harborVersion.value, "v2.14.1");
        assert.deepStrictEqual(r.outputs.recorded.value, { deployed: false });
        assert.deepStrictEqual(core!.switches, []);
    });

    it("an upgrade whose wave fails: up fails, Harbor is read-write again within seconds, the old version stays recorded", async () => {
        await set({ kind: "upgrade", to: "v2.15.2", fail: "true" });
        const err = await s!.stack.up({ color: "never" }).then(() => undefined, (e: Error) => e);
        assert.ok(err && /the gate of node2 failed \(fixture\)/.test(err.message), String(err?.message).slice(-1500));
        assert.strictEqual(core!.switches[0], true, "the window was opened during the up");
        const ms = await until(() => core!.switches.length >= 2, 30_000);
        console.log(`      read_only back to false ${ms} ms after the failed up returned (switches: ${JSON.stringify(core!.switches)})`);
        assert.deepStrictEqual(core!.switches, [true, false]);
        assert.strictEqual((await s!.stack.outputs()).harborVersion.value, "v2.14.1", "the failed run did not record v2.15.2");
    });

    it("fixed and run again: the retry opens the window again, the lift closes it, the new version is recorded, then nothing changes", async () => {
        core!.switches.length = 0;
        await set({ fail: "false" });
        const r = await s!.stack.up({ color: "never" });
        assert.deepStrictEqual(r.outputs.recorded.value, { deployed: true, version: "v2.14.1" }, "the retry still sees the old version");
        assert.strictEqual(r.outputs.harborVersion.value, "v2.15.2");
        assert.deepStrictEqual(core!.switches.slice(0, 2), [true, false], "read-only again for the retry's waves, then lifted");
        await until(() => core!.switches.length >= 3, 30_000);
        assert.deepStrictEqual(core!.switches, [true, false, false], "the retry's watchdog repeats the lift when the up ends");
        const log = String(r.outputs.watchdogLog.value);
        assert.ok(fs.existsSync(log) && !fs.readFileSync(log, "utf8").includes(SECRET), "watchdog log without the secret");
        // The program's next run sees the version recorded: "steady", and nothing changes.
        await set({ kind: "steady" });
        // The StackReference to the stack itself is a read on every run, which is not a change.
        await s!.stack.preview({ color: "never", expectNoChanges: true });
        await s!.stack.preview({ color: "never", expectNoChanges: true, refresh: true });
        const next = await s!.stack.up({ color: "never" });
        assert.deepStrictEqual(next.outputs.recorded.value, { deployed: true, version: "v2.15.2" });
        assert.deepStrictEqual(core!.switches.length, 3, "the steady run asks nothing of Harbor");
    });
});
