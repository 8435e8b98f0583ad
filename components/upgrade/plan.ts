/**
 * What this `pulumi up` does to the Harbor version, decided before any resource is declared: the
 * version this stack last finished deploying (its own `harborVersion` output, ./deployed.ts)
 * against harbor.version. Every refusal is a ConfigError naming the key and the fix.
 */
import * as fs from "fs";
import * as path from "path";
import { ConfigError } from "../config/load";
import { ClusterSpec, NodeSpec } from "../config/spec";
import { HarborProfile, profileForVersion, profileOf } from "../profiles";
import { atLeast } from "../profiles/version";
import { rolloutWaves, upgradeWaves } from "../rollout";

/** What the stack's previous deployment says about itself. */
export interface DeployedRelease {
    /** The stack has been deployed before (it has outputs). */
    deployed: boolean;
    /** Its `harborVersion` output: the release whose upgrade last finished; undefined before harbor-ha recorded it. */
    version?: string;
}

/**
 * - install: nothing deployed yet (the migrator creates the schema; nothing to back up or freeze);
 * - steady: same version as deployed (the upgrade steps stay as they are: no change);
 * - upgrade / downgrade: harbor.version moves; backup, read-only window, one migrator, two waves;
 * - unrecorded: deployed by a harbor-ha that did not record the version: treated as an upgrade.
 */
export type UpgradeKind = "install" | "steady" | "upgrade" | "downgrade" | "unrecorded";

export interface UpgradePlan {
    kind: UpgradeKind;
    /** The deployed release (undefined for install and unrecorded). */
    from?: string;
    to: string;
}

/** Whether this run moves a deployed Harbor from one release to another (or may, when unrecorded). */
export const changesVersion = (kind: UpgradeKind) => kind === "upgrade" || kind === "downgrade" || kind === "unrecorded";

/** Whether this stack gets a read-only window: asked for, and the line has a switch harbor-ha can use. */
export const readOnlyWindowOn = (spec: ClusterSpec) => spec.upgrade.readOnly && profileOf(spec).upgrade.readOnlyWindow;

/** Whether the schema is migrated by the one-shot migrator (the target has -mode=migrate). */
export function oneShotMigration(spec: ClusterSpec): boolean {
    const since = profileOf(spec).upgrade.oneShotMigrationSince;
    return since !== undefined && atLeast(spec.harbor.version, since);
}

/** The waves of this run: two during a version change, the ordinary rolling ones otherwise. */
export function wavesFor(spec: ClusterSpec, plan: UpgradePlan): NodeSpec[][] {
    return (changesVersion(plan.kind) ? upgradeWaves : rolloutWaves)(spec.nodes, spec.rollout.maxUnavailable);
}

export function planUpgrade(spec: ClusterSpec, deployed: DeployedRelease): UpgradePlan {
    const to = spec.harbor.version;
    const key = `${spec.project}:harbor.version`;
    if (!deployed.deployed) return { kind: "install", to };
    if (deployed.version === undefined) return checkBackupTool(spec, { kind: "unrecorded", to });
    const from = deployed.version;
    if (from === to) return { kind: "steady", from, to };

    const problems: string[] = [];
    const profile = profileOf(spec);
    const fromProfile = profileForVersion(from);
    if (fromProfile === undefined) {
        problems.push(`${key}: the stack last deployed ${from}, which this harbor-ha does not know; set harbor.version back to ${from} with the harbor-ha that deployed it, or upgrade harbor-ha step by step`);
    } else if (fromProfile.id !== profile.id) {
        problems.push(`${key}: ${from} -> ${to} crosses Harbor release lines (${fromProfile.id} -> ${profile.id}); ${crossLine(fromProfile, profile)}`);
    } else if (!atLeast(to, from)) {
        if (!spec.upgrade.allowDowngrade)
            problems.push(
                `${key}: ${to} is older than ${from}, which this stack runs; an older Harbor cannot run on the schema ${from} migrated. ` +
                    `To roll back: restore the dump taken before the upgrade to ${from} (README "Upgrading Harbor"), then set upgrade.allowDowngrade: true and run pulumi up`,
            );
    } else {
        const path = profile.upgrade.supportsPath(from, to);
        if (path) problems.push(`${key}: ${path}`);
    }
    const since = profile.upgrade.oneShotMigrationSince;
    if (since && !atLeast(to, since))
        problems.push(`${key}: harbor-ha changes the version of a running cluster only to ${since} or later (one migrator needs harbor_core -mode=migrate, new in ${since}); upgrade to ${since} or later`);
    if (problems.length) throw new ConfigError(problems);
    return checkBackupTool(spec, { kind: atLeast(to, from) ? "upgrade" : "downgrade", from, to });
}

function crossLine(from: HarborProfile, to: HarborProfile): string {
    if (from.databaseEngine !== to.databaseEngine)
        return `the database moves from ${from.databaseEngine} to ${to.databaseEngine}, which only Harbor's own migration releases do (1.x -> 1.6+ migrator -> 2.x); run that migration per Harbor's upgrade guides and import the result into a new stack (database.import)`;
    return `the schema changes between the lines and only Harbor's harbor-db-migrator image migrates it; run it per Harbor's migration guide with the cluster stopped, then set harbor.version`;
}

/** Refusals that depend on the machine running Pulumi, only when this run backs up. */
function checkBackupTool(spec: ClusterSpec, plan: UpgradePlan): UpgradePlan {
    if (!spec.upgrade.backup.enabled) return plan;
    const tool = dumpTool(spec);
    if (!onPath(tool))
        throw new ConfigError([
            `${spec.project}:upgrade.backup.enabled: this run changes harbor.version and backs up the database first, but ${tool} is not on the PATH of the machine running Pulumi; ` +
                `install it (${spec.database.server.engine === "postgresql" ? "Debian: postgresql-client, at least the server's major version" : "Debian: mariadb-client"}) or set upgrade.backup.enabled: false`,
        ]);
    return plan;
}

/** One line for the preview's log: what this run will do to the version, step by step. */
export function describePlan(spec: ClusterSpec, plan: UpgradePlan): string | undefined {
    if (!changesVersion(plan.kind)) return undefined;
    const waves = wavesFor(spec, plan);
    const steps = [
        spec.upgrade.backup.enabled ? `back up the database (${dumpTool(spec)}) to ${path.resolve(spec.upgrade.backup.directory)}` : "no backup (upgrade.backup.enabled: false)",
        readOnlyWindowOn(spec) ? "switch Harbor to read-only" : "no read-only window",
        oneShotMigration(spec) ? `migrate the schema once on ${waves[0][0].name}` : "no schema migration",
        ...waves.map((w, i) => `wave ${i + 1}: ${w.map((n) => n.name).join(", ")}`),
        ...(readOnlyWindowOn(spec) ? ["switch read-only back"] : []),
    ];
    const what = plan.kind === "unrecorded" ? "change from an unrecorded version" : `${plan.kind} ${plan.from}`;
    return `harbor-ha: ${what} -> ${plan.to}: ${steps.join("; ")}`;
}

export const dumpTool = (spec: ClusterSpec) => (spec.database.server.engine === "postgresql" ? "pg_dump" : "mysqldump");

function onPath(cmd: string): boolean {
    return (process.env.PATH ?? "").split(path.delimiter).some((d) => {
        try {
            fs.accessSync(path.join(d, cmd), fs.constants.X_OK);
            return true;
        } catch {
            return false;
        }
    });
}
