/**
 * The validated, typed description of one cluster. Built once from stack config by
 * `loadClusterSpec`; every component takes what it needs from here.
 */
import type { ProfileId } from "../profiles";
import * as pulumi from "@pulumi/pulumi";
import { DbServer, DbTarget, RedisEndpoint } from "../database/types";

export type Transport = "ssh" | "local";

export interface NodeSpec {
    name: string;
    address: string;
    transport: Transport;
    sshPort: number;
    sshUser: string;
    hostKey?: string;
    httpPort: number;
    httpsPort: number;
    syslogPort: number;
    healthPort: number;
    /** 0.0.0.0, or the node's own address: where its published ports and health frontend listen. */
    listenAddress: string;
    containerSubnet: string;
    priority: number;
}

export interface HarborSpec {
    version: string;
    /** Release profile: which render functions produce the containers. */
    profile: ProfileId;
    imageRegistry: string;
    hostname: string;
    protocol: "https" | "http";
    port: number;
    /** EXT_ENDPOINT: scheme://hostname[:port], identical on every node. */
    externalUrl: string;
    trivy: boolean;
    logLevel: string;
    maxJobWorkers: number;
    jobLoggers: ("DB" | "FILE" | "STD_OUTPUT")[];
    maxJobDurationHours: number;
    jobLogSweeperDays: number;
    logRotateCount: number;
    logRotateSize: string;
}

export interface SshSpec {
    user: string;
    privateKeyPath?: string;
    agent: boolean;
    strictHostKeyChecking: "yes" | "accept-new";
}

export interface LoadBalancerSpec {
    mode: "keepalived" | "haproxy" | "external";
    vip?: string;
    subnet?: string;
    interface: string;
    virtualRouterId: number;
    frontendPort: number;
    /** "*" or an address of the host: where the client frontends bind. */
    listenAddress: string;
    /** Set: harbor-ha's own haproxy instance lives here (not the distribution's service). */
    haproxyDir?: string;
    /** Port of the http -> https redirect; undefined when off (protocol http, or httpRedirect false). */
    httpRedirectPort?: number;
    advertIntervalSeconds: number;
    preemptDelaySeconds: number;
}

export interface RolloutSpec {
    maxUnavailable: number;
    drainTimeoutSeconds: number;
    gateTimeoutSeconds: number;
}

export interface CephFsSpec {
    monitors: string[];
    path: string;
    clientName: string;
    client: "fuse" | "kernel";
    installClient: boolean;
}

export interface StorageSpec {
    type: "cephfs" | "local";
    mountPoint: string;
    localRoot: string;
    cephfs?: CephFsSpec;
}

export interface DatabaseSpec {
    server: DbServer;
    target: DbTarget;
    maxIdleConns: number;
    maxOpenConns: number;
    connMaxLifetime: string;
    connMaxIdleTime: string;
    provision: {
        enabled: boolean;
        adminUser: string;
        adminDatabase: string;
        adminHost: string;
        adminPort: number;
        dropOnDestroy: boolean;
    };
    import?: { path: string; force: boolean };
}

export interface RedisSpec {
    endpoint: RedisEndpoint;
    /** Same endpoint as seen from the machine running Pulumi (for the readiness probe). */
    probeEndpoint: RedisEndpoint;
}

export interface TlsSpec {
    mode: "generated" | "provided";
    validityDays: number;
    earlyRenewalDays: number;
    certificate?: pulumi.Output<string>;
    caCertificate?: pulumi.Output<string>;
}

export interface VerifySpec {
    canary: boolean;
    project: string;
}

export interface UpgradeSpec {
    backup: { enabled: boolean; directory: string };
    readOnly: boolean;
    allowDowngrade: boolean;
    migrateTimeoutSeconds: number;
}

export interface DevServicesSpec {
    enabled: boolean;
    postgresImage: string;
    redisImage: string;
    postgresPort: number;
    redisPort: number;
    postgresDataDir: string;
}

/** Values only ever handled as secret Outputs. */
export interface SecretInputs {
    cephKey?: pulumi.Output<string>;
    databasePassword?: pulumi.Output<string>;
    databaseAdminPassword?: pulumi.Output<string>;
    redisPassword?: pulumi.Output<string>;
    tlsPrivateKey?: pulumi.Output<string>;
}

export interface TrivySpec {
    ignoreUnfixed: boolean;
    skipUpdate: boolean;
    skipJavaDbUpdate: boolean;
    offlineScan: boolean;
    dbRepository: string;
    javaDbRepository: string;
    securityCheck: string;
    insecure: boolean;
    timeout: string;
}

export interface ProxySpec {
    httpProxy?: string;
    httpsProxy?: string;
    noProxy?: string;
    components: ("core" | "jobservice" | "trivy")[];
}

export interface ClusterSpec {
    project: string;
    harbor: HarborSpec;
    nodes: NodeSpec[];
    ssh: SshSpec;
    containers: { restart: "always" | "unless-stopped" | "on-failure" };
    loadBalancer: LoadBalancerSpec;
    rollout: RolloutSpec;
    storage: StorageSpec;
    database: DatabaseSpec;
    redis: RedisSpec;
    tls: TlsSpec;
    devServices: DevServicesSpec;
    verify: VerifySpec;
    upgrade: UpgradeSpec;
    trivy: TrivySpec;
    proxy: ProxySpec;
    /**
     * PEM CA certificates every Harbor component trusts besides the public roots (private CAs of
     * PostgreSQL, Redis, replication endpoints, OIDC): Harbor's /harbor_cust_cert bundle.
     */
    trustedCaCertificates?: string;
    secrets: SecretInputs;
}
