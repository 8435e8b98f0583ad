/**
 * Root-level fixture of the L4 lab suite. Every tests/lab/*.test.ts imports it; the first import
 * registers one root `before` (lab up, once) and one root `after` (lab down, at the very end).
 * Without HARBOR_HA_LAB=1 nothing is registered and the lab suites are pending, so a plain
 * `npm test` on a machine that cannot run the lab stays fast and green.
 */
import { labDown, labDownSync, labEnabled, labUp } from "./lab";

export const LAB_ENABLED = labEnabled();

if (LAB_ENABLED) {
    before("lab up", async function () {
        this.timeout(15 * 60_000);
        await labUp();
    });
    after("lab down", async function () {
        this.timeout(5 * 60_000);
        await labDown();
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

/** `describe` for lab suites: pending unless HARBOR_HA_LAB=1. */
export function describeLab(title: string, fn: (this: Mocha.Suite) => void): Mocha.Suite | void {
    return LAB_ENABLED ? describe(title, fn) : describe.skip(`${title} (set HARBOR_HA_LAB=1; needs root + Debian)`, fn);
}
