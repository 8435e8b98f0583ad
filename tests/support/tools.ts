/**
 * Where the suites find the real software they run, and what to say when it is missing: one
 * line naming the tool and the command that installs it (never a bare ENOENT or exit 127).
 */
import * as fs from "fs";
import * as path from "path";

/** The installer scripts, by what they provide (all idempotent, run as root on Debian 12). */
export const INSTALLERS = {
    tools: "bash scripts/ci/install-tools.sh",
    services: "bash scripts/ci/install-services.sh",
} as const;

/** Absolute path of `name` (sbin first, then PATH), or a one-line error saying how to get it. */
export function tool(name: string, installer: keyof typeof INSTALLERS): string {
    const dirs = ["/usr/sbin", "/usr/bin", "/sbin", "/bin", ...(process.env.PATH ?? "").split(path.delimiter)];
    const found = dirs.filter(Boolean).map((d) => path.join(d, name)).find((p) => fs.existsSync(p));
    if (found) return found;
    const err = new Error(`${name} is not installed; run \`${INSTALLERS[installer]}\` (the README's test command does this itself)`);
    err.stack = err.message;
    throw err;
}
