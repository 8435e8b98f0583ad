/** Defaults that depend on more than one value, computed in one place. */
import { createHash } from "crypto";

/**
 * Default VRRP priority from the node's name alone (101..200), so removing or inserting another
 * node never shifts this one's priority (and never reloads its keepalived). Equal values are
 * legal in VRRP: the higher address wins the tie.
 */
export function defaultPriority(name: string): number {
    const h = createHash("sha256").update(name).digest();
    return 101 + (h.readUInt32BE(0) % 100);
}

/** One node at a time up to 5 nodes; above that a third, so a rollout is 3-4 waves at any size. */
export function defaultMaxUnavailable(nodeCount: number): number {
    return nodeCount <= 5 ? 1 : Math.floor(nodeCount / 3);
}

/** The port clients use on the VIP/LB: harbor.port, else the protocol's default. */
export function harborPort(h: { port?: number; protocol: "https" | "http" }): number {
    return h.port ?? (h.protocol === "https" ? 443 : 80);
}

/** The dev services' Docker network, and the container names Harbor reaches them by on it. */
export const DEV_SERVICES = { network: "harbor-ha-dev-services", postgres: "harbor-ha-dev-postgres", redis: "harbor-ha-dev-redis" } as const;

/** The provisioning login when database.provision.adminUser is not set: each engine's superuser. */
export function adminUserOf(db: { engine: "postgresql" | "mysql"; provision: { adminUser?: string } }): string {
    return db.provision.adminUser ?? (db.engine === "postgresql" ? "postgres" : "root");
}
