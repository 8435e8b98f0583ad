/**
 * A change of harbor.version as stack resources, in this order (README "Upgrading Harbor"):
 *
 *   backup -> read-only window -> one migrator -> wave 1 -> wave 2 -> read-only lift
 *
 * Each step is declared on every run and keyed on the target version, so the preview of an
 * upgrade lists them as replacements and an unchanged `pulumi up` touches none of them. During
 * the change the nodes roll in two waves only (plan.ts wavesFor), so old cores run on the new schema
 * for one wave at most and the balancer serves one version at a time.
 */
import * as command from "@pulumi/command";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { ClusterSpec } from "../config/spec";
import { ContainerSpec } from "../profiles/types";
import { TRUST_BUNDLE_PATH } from "../profiles/v2/context";
import { migrateScript, migratorInput } from "../scripts/upgrade";
import { hostCommand, NodeAccess } from "../transport";
import { balancerEndpoint } from "../verify";
import { DatabaseBackup } from "./backup";
import { oneShotMigration, readOnlyWindowOn, UpgradePlan } from "./plan";
import { ReadOnlyLift, ReadOnlyWindow } from "./read-only";

export interface UpgradeArgs {
    spec: ClusterSpec;
    plan: UpgradePlan;
    stack: string;
    parent: pulumi.Resource;
    commandProvider: command.Provider;
    /** The node the one-shot migration runs on, and its rendered containers (secret). */
    migrateOn: { access: NodeAccess; rendered: pulumi.Output<ContainerSpec[]>; shape: ContainerSpec[] };
    /** Docker networks the migrator joins besides Docker's default bridge (the dev services'). */
    extraNetworks: string[];
    jobserviceSecret: pulumi.Output<string>;
    databasePassword: pulumi.Output<string>;
    caCertificate?: pulumi.Output<string>;
    /** The database and Redis are ready. */
    after: pulumi.Resource[];
}

export interface UpgradeSteps {
    backup: DatabaseBackup;
    /** What the first wave's drains wait for. */
    beforeWaves: pulumi.Resource[];
    /** The last step, after every gate and balancer; its `version` is the stack's harborVersion. */
    lift(after: pulumi.Resource[]): ReadOnlyLift;
}

export function wireUpgrade(name: string, a: UpgradeArgs): UpgradeSteps {
    const { spec, plan } = a;
    const p = { parent: a.parent };
    const db = spec.database;
    const backup = new DatabaseBackup(
        `${name}-upgrade-1-backup`,
        {
            // As the machine running Pulumi reaches the server (the same address provisioning uses).
            server: { ...db.server, host: db.provision.adminHost, port: db.provision.adminPort },
            target: db.target,
            password: a.databasePassword,
            directory: path.resolve(spec.upgrade.backup.directory),
            stack: a.stack,
            kind: plan.kind,
            from: plan.from,
            to: plan.to,
            enabled: spec.upgrade.backup.enabled,
        },
        { ...p, dependsOn: a.after },
    );
    const api = (a.caCertificate ?? pulumi.output(undefined as unknown as string)).apply((ca) => balancerEndpoint(spec, ca));
    const window = new ReadOnlyWindow(
        `${name}-upgrade-2-read-only`,
        { api, secret: a.jobserviceSecret, kind: plan.kind, to: plan.to, enabled: readOnlyWindowOn(spec) },
        { ...p, dependsOn: [backup] },
    );
    const migrator = oneShotMigration(spec) ? oneMigrator(`${name}-upgrade-3-migrate`, a, window) : undefined;
    return {
        backup,
        beforeWaves: [migrator ?? window],
        lift: (after) =>
            new ReadOnlyLift(
                `${name}-upgrade-9-read-write`,
                { api, secret: a.jobserviceSecret, to: plan.to, window: pulumi.all([window.skipped, window.before, window.watchdogLog]).apply(([skipped, before, watchdogLog]) => ({ skipped, before, watchdogLog })) },
                { ...p, dependsOn: after },
            ),
    };
}

function oneMigrator(name: string, a: UpgradeArgs, window: pulumi.Resource): pulumi.CustomResource {
    const { spec, migrateOn } = a;
    const core = (r: ContainerSpec[]) => {
        const c = r.find((x) => x.component === "core");
        if (!c) throw new Error("upgrade: the release profile renders no core container (profile bug)");
        return c;
    };
    const stdin = pulumi.secret(migrateOn.rendered.apply((r) => {
        const c = core(r);
        return migratorInput(c.env, c.files.find((f) => f.path === TRUST_BUNDLE_PATH)?.content);
    }));
    // From the placeholder render: the image name is not secret, and the script text must be plain.
    const image = core(migrateOn.shape).image;
    const db = spec.database;
    return hostCommand(
        name,
        migrateOn.access,
        {
            create: migrateScript({ node: migrateOn.access.node, image, to: spec.harbor.version, timeoutSeconds: spec.upgrade.migrateTimeoutSeconds, networks: a.extraNetworks }),
            stdin,
            // Once per version, and again for another database (a new, empty one needs the schema).
            triggers: [spec.harbor.version, db.server.host, String(db.server.port), db.target.database],
        },
        { parent: a.parent, provider: a.commandProvider, dependsOn: [window, ...a.after] },
    );
}
