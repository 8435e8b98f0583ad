/**
 * harbor-ha: a highly-available Harbor on ordinary Linux VMs.
 * Reads and validates the stack config once (nothing is declared if it is invalid), then
 * composes the cluster. See README.md for the config reference.
 */
import * as pulumi from "@pulumi/pulumi";
import { HarborCluster } from "./components/cluster";
import { loadClusterSpec, readRawConfig } from "./components/config/load";

const spec = loadClusterSpec(readRawConfig());
const cluster = new HarborCluster("harbor", { spec, stack: pulumi.getStack() });

const vip = spec.loadBalancer.mode === "keepalived" ? spec.loadBalancer.vip : undefined;

// One object, so `vip` is left out where there is none (an undefined export makes Pulumi warn
// "Undefined value (vip) will not show as a stack output" on every run).
export = {
    externalUrl: cluster.externalUrl,
    ...(vip === undefined ? {} : { vip }),
    nodeAddresses: spec.nodes.map((n) => ({ name: n.name, address: n.address })),
    caCertificate: cluster.caCertificate,
    tokenCertificate: cluster.tokenCertificate,
    adminPassword: pulumi.secret(cluster.adminPassword),
};
