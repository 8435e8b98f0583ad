/**
 * Which 2.x releases Harbor upgrades from in one step. Harbor's guide for each release says
 * "This guide only covers migration from v2.(M-2).0 and later to the current version"
 * (goharbor.io docs/2.6.0, 2.8.0, 2.10.0, 2.11.0 and 2.12.0 /administration/upgrade, read
 * 2026-12-02): a release migrates from at most two minor versions back.
 */
import { atLeast } from "../version";

const minor = (v: string) => Number(v.replace(/^v/, "").split(".")[1]);

/** Undefined when Harbor supports from -> to in one step; otherwise what to do instead. */
export function v2UpgradePath(from: string, to: string): string | undefined {
    if (!atLeast(to, from)) return undefined; // downgrades are refused separately
    const skipped = minor(to) - minor(from);
    if (skipped <= 2) return undefined;
    const via = `v2.${minor(from) + 2}`;
    return `Harbor ${to} migrates from v2.${minor(to) - 2}.0 and later only (Harbor's upgrade guide for ${to.replace(/\.\d+$/, "")}): upgrade to the newest ${via}.x first, run pulumi up, then set ${to}`;
}
