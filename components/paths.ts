/**
 * Host paths of one node, defined once so HostPrep creates exactly what the containers mount.
 * Shared (CephFS): registry blobs and job logs. Per node on CephFS: the log directory, as the
 * original HA design kept logs per node. Node-local disk: Trivy's cache.
 */
import { StorageSpec } from "./config/spec";

/** Harbor's service uid/gid inside its images. */
export const HARBOR_UID = 10000;

export interface NodePaths {
    sharedRoot: string;
    registry: string;
    jobLogs: string;
    logs: string;
    localRoot: string;
    trivyCache: string;
    trivyReports: string;
    /** Harbor 1.1's adminserver config.json directory, shared by every node (1.1 profile only). */
    adminserverConfig: string;
}

export function nodePaths(storage: StorageSpec, nodeName: string): NodePaths {
    const shared = storage.mountPoint;
    const local = `${storage.localRoot}/${nodeName}`;
    return {
        sharedRoot: shared,
        registry: `${shared}/registry`,
        jobLogs: `${shared}/job_logs`,
        logs: `${shared}/logs/${nodeName}`,
        localRoot: local,
        trivyCache: `${local}/trivy-adapter/trivy`,
        trivyReports: `${local}/trivy-adapter/reports`,
        adminserverConfig: `${shared}/adminserver`,
    };
}
