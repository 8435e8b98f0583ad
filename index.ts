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

export const externalUrl = cluster.externalUrl;
export const vip = spec.loadBalancer.mode === "keepalived" ? spec.loadBalancer.vip : undefined;
export const nodeAddresses = spec.nodes.map((n) => ({ name: n.name, address: n.address }));
export const caCertificate = cluster.caCertificate;
export const tokenCertificate = cluster.tokenCertificate;
export const adminPassword = pulumi.secret(cluster.adminPassword);
