/**
 * harbor-ha: a highly-available Harbor on ordinary Linux VMs.
 * Reads and validates the stack config once, reads what the stack last deployed and decides
 * what this run does to the Harbor version (nothing is declared if either is refused), then
 * composes the cluster. See README.md for the config reference.
 */
import * as pulumi from "@pulumi/pulumi";
import { HarborCluster } from "./components/cluster";
import { loadClusterSpec, readRawConfig } from "./components/config/load";
import { readDeployedRelease } from "./components/upgrade/deployed";
import { describePlan, planUpgrade } from "./components/upgrade/plan";

export = async () => {
    const spec = loadClusterSpec(readRawConfig());
    const plan = planUpgrade(spec, await readDeployedRelease());
    if (plan.kind === "unrecorded")
        pulumi.log.warn(`harbor-ha: this stack records no Harbor version yet (deployed by an older harbor-ha); this run is handled as an upgrade to ${plan.to}: backup, read-only window, one migrator, two waves`);
    const steps = describePlan(spec, plan);
    if (steps) pulumi.log.info(steps);
    const cluster = new HarborCluster("harbor", { spec, stack: pulumi.getStack(), upgrade: plan });

    const vip = spec.loadBalancer.mode === "keepalived" ? spec.loadBalancer.vip : undefined;
    // One object, so `vip` is left out where there is none (an undefined export makes Pulumi warn
    // "Undefined value (vip) will not show as a stack output" on every run).
    return {
        externalUrl: cluster.externalUrl,
        ...(vip === undefined ? {} : { vip }),
        nodeAddresses: spec.nodes.map((n) => ({ name: n.name, address: n.address })),
        caCertificate: cluster.caCertificate,
        tokenCertificate: cluster.tokenCertificate,
        adminPassword: pulumi.secret(cluster.adminPassword),
        // Read back by the next run (upgrade/deployed.ts): resolves only when the last step is done.
        harborVersion: cluster.harborVersion,
        backup: { path: cluster.backupPath, sha256: cluster.backupSha256 },
    };
};
