/**
 * The read-only window around a change of harbor.version, as two resources on the machine
 * running Pulumi, both replaced (and run) only when the target version changes:
 * - `ReadOnlyWindow`, after the backup and before the migration: remembers Harbor's current
 *   read-only setting, switches it on (pulls keep working; pushes, deletes and UI writes get
 *   Harbor's own "The system is in read only mode" 403) and starts ./watchdog.ts;
 * - `ReadOnlyLift`, after the last wave's gates and balancers: puts the setting back.
 * Both go through the balancer with the stack's jobservice secret (./config-api.ts). A failed
 * `up` between the two leaves the lift to the watchdog, which acts when this `up` ends; the
 * retry opens the window again (the backup is not taken again: the first one is from before
 * the migration).
 */
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { diffFields } from "../database/dynamic-diff";
import { Endpoint } from "../verify/registry-client";
import { readOnlyState, setReadOnly } from "./config-api";
import { changesVersion, UpgradeKind } from "./plan";
import { startWatchdog } from "./watchdog";

export interface ReadOnlyWindowProps {
    api: Endpoint;
    secret?: string;
    kind: UpgradeKind;
    to: string;
    /** upgrade.readOnly and the profile's readOnlyWindow. */
    enabled: boolean;
}

export interface WindowRecord {
    /** Why Harbor was not switched; empty when it was. */
    skipped: string;
    /** The read_only value before the window (put back by the lift and the watchdog). */
    before: boolean;
    watchdogLog: string;
}

/** Where the watchdog writes what it did (no secrets). */
export const watchdogLogFile = (to: string) => path.join(os.tmpdir(), `harbor-ha-read-only-${to}-${process.pid}.log`);

export async function openWindow(p: ReadOnlyWindowProps, watch: { pid: number; pollMs: number; retryForMs: number }): Promise<WindowRecord> {
    if (!changesVersion(p.kind)) return { skipped: p.kind === "install" ? "first deployment: Harbor is not running yet" : `harbor.version unchanged (${p.to})`, before: false, watchdogLog: "" };
    if (!p.enabled) return { skipped: "upgrade.readOnly is false (or this release line has no read-only switch)", before: false, watchdogLog: "" };
    const secret = p.secret ?? "";
    const before = await readOnlyState(p.api, secret);
    await setReadOnly(p.api, secret, true);
    const logFile = watchdogLogFile(p.to);
    startWatchdog({ ...watch, address: p.api.address, hostname: p.api.hostname, tls: p.api.tls ?? p.api.ca !== undefined, ca: p.api.ca, secret, restore: before, logFile });
    return { skipped: "", before, watchdogLog: logFile };
}

export async function liftWindow(api: Endpoint, secret: string, window: WindowRecord): Promise<string> {
    if (window.skipped) return window.skipped;
    await setReadOnly(api, secret, window.before);
    return "";
}

const strip = <T extends { secret?: string }>(p: T) => {
    const { secret: _unused, ...kept } = p;
    return kept;
};

export const readOnlyWindowProvider: pulumi.dynamic.ResourceProvider = {
    async diff(_id: string, olds: ReadOnlyWindowProps, news: ReadOnlyWindowProps) {
        const d = diffFields(olds, news, { replaceOn: ["to"], updateOn: [] });
        // A run that still changes the version is a retry of one that failed (a finished one
        // records the version, and the next run is "steady"): its watchdog has lifted the
        // window, so the remaining waves need it again.
        if (!d.changes && changesVersion(news.kind)) return { ...d, changes: true, replaces: ["kind"], stables: d.stables.filter((k) => k !== "kind") };
        return d;
    },
    async create(inputs: ReadOnlyWindowProps) {
        const r = await openWindow(inputs, { pid: process.pid, pollMs: 1000, retryForMs: 10 * 60 * 1000 });
        return { id: `read-only:${inputs.to}`, outs: { ...strip(inputs), ...r } };
    },
};

export class ReadOnlyWindow extends pulumi.dynamic.Resource {
    declare public readonly skipped: pulumi.Output<string>;
    declare public readonly before: pulumi.Output<boolean>;
    declare public readonly watchdogLog: pulumi.Output<string>;

    constructor(name: string, args: { api: pulumi.Input<Endpoint>; secret: pulumi.Input<string>; kind: UpgradeKind; to: string; enabled: boolean }, opts?: pulumi.CustomResourceOptions) {
        super(readOnlyWindowProvider, name, { ...args, secret: pulumi.secret(args.secret), skipped: undefined, before: undefined, watchdogLog: undefined }, opts, "harbor-ha", "ReadOnlyWindow");
    }
}

export interface ReadOnlyLiftProps {
    api: Endpoint;
    secret?: string;
    to: string;
    window: WindowRecord;
}

export const readOnlyLiftProvider: pulumi.dynamic.ResourceProvider = {
    async diff(_id: string, olds: ReadOnlyLiftProps, news: ReadOnlyLiftProps) {
        return diffFields(olds, news, { replaceOn: ["to"], updateOn: [] });
    },
    async create(inputs: ReadOnlyLiftProps) {
        const skipped = await liftWindow(inputs.api, inputs.secret ?? "", inputs.window);
        return { id: `read-write:${inputs.to}`, outs: { ...strip(inputs), skipped, version: inputs.to } };
    },
};

export class ReadOnlyLift extends pulumi.dynamic.Resource {
    /** The release the cluster now runs: set only once the whole upgrade got this far. */
    declare public readonly version: pulumi.Output<string>;
    declare public readonly skipped: pulumi.Output<string>;

    constructor(name: string, args: { api: pulumi.Input<Endpoint>; secret: pulumi.Input<string>; to: string; window: pulumi.Input<WindowRecord> }, opts?: pulumi.CustomResourceOptions) {
        super(readOnlyLiftProvider, name, { ...args, secret: pulumi.secret(args.secret), skipped: undefined, version: undefined }, opts, "harbor-ha", "ReadOnlyLift");
    }
}
