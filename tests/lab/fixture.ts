/**
 * Fixture of the L4 lab suite. Every tests/lab/*.test.ts imports it and declares its suites with
 * `describeLab`. The lab comes up once, in the `before` of the first lab suite that runs (shared
 * promise), and goes down in one root-level `after` at the very end of the run. A lab that fails to
 * come up fails the lab suites only; other rungs in the same mocha run keep their results.
 * Without HARBOR_HA_LAB=1 nothing is registered and the lab suites are pending, so a plain
 * `npm test` on a machine that cannot run the lab stays fast and green.
 */
import { LabInfo, labDown, labDownSync, labEnabled, labUp } from "./lab";

export const LAB_ENABLED = labEnabled();

let up: Promise<LabInfo> | undefined;

/** Bring the lab up once per process (later callers share the result, or the failure). */
export function ensureLab(): Promise<LabInfo> {
    up ??= labUp();
    return up;
}

if (LAB_ENABLED) {
    after("lab down", async function () {
        this.timeout(5 * 60_000);
        if (up) await labDown();
    });
    // Ctrl-C / CI cancel: lab.sh up tears itself down when interrupted; a lab that is already up
    // is taken down here (ceph-fuse mounts are lazily unmounted before the cluster goes).
    for (const sig of ["SIGINT", "SIGTERM"] as const) {
        process.once(sig, () => {
            labDownSync();
            process.exit(sig === "SIGINT" ? 130 : 143);
        });
    }
}

/** `describe` for lab suites: brings the lab up first; pending unless HARBOR_HA_LAB=1. */
export function describeLab(title: string, fn: (this: Mocha.Suite) => void): Mocha.Suite | void {
    if (!LAB_ENABLED) return describe.skip(`${title} (set HARBOR_HA_LAB=1; needs root + Debian)`, fn);
    return describe(title, function (this: Mocha.Suite) {
        before("lab up", async function () {
            this.timeout(15 * 60_000);
            await ensureLab();
        });
        fn.call(this);
    });
}
