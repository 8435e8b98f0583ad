/**
 * The render layer's vocabulary: a release profile turns (cluster spec, one node, shared values)
 * into ContainerSpecs. Plain data only, no Pulumi resources, so tests call profiles directly.
 */

/** Everything that must be identical on every node, resolved to plain strings. */
export interface SharedValues {
    /** 16 bytes, AES key for secrets stored in the DB (/etc/core/key, no trailing newline). */
    secretKey: string;
    /** 32 chars, gorilla/csrf key. */
    csrfKey: string;
    coreSecret: string;
    jobserviceSecret: string;
    /** distribution's http.secret: upload state must validate on any node. */
    registryHttpSecret: string;
    registryPassword: string;
    /** `harbor_registry_user:<bcrypt>` line for /etc/registry/passwd. */
    registryHtpasswd: string;
    adminPassword: string;
    /** PKCS#1 PEM RSA key that signs (and verifies) registry bearer tokens. */
    tokenPrivateKey: string;
    tokenCertificate: string;
    /** Endpoint TLS (proxy) certificate chain and key; empty when protocol is http. */
    tlsCertificate: string;
    tlsPrivateKey: string;
    /** CA offered by the UI's "download root cert"; empty when unknown. */
    caCertificate: string;
    databasePassword: string;
    redis: RedisValues;
}

export interface RedisValues {
    coreUrl: string;
    registryUrl: string;
    jobserviceUrl: string;
    trivyUrl: string;
    harborUrl?: string;
    cacheLayerUrl?: string;
    /** Harbor 1.x ui `_REDIS_URL`: beego's `host:port,poolsize,password,db` (1.x profiles only). */
    legacySessionUrl?: string;
    /** distribution's redis block. */
    registry: {
        addr: string;
        password?: string;
        username?: string;
        db: number;
        sentinelMasterSet?: string;
        enableTLS: boolean;
    };
}

export interface ContainerFile {
    /** Absolute path inside the container. */
    path: string;
    content: string;
    /** Octal mode, e.g. 0o444. */
    mode: number;
    /** Content derives from a secret: must be delivered as a secret and never logged. */
    secret: boolean;
}

export interface ContainerMount {
    source: string;
    target: string;
    readOnly: boolean;
}

export interface ContainerPort {
    internal: number;
    external: number;
    /** Host IP to bind; 0.0.0.0 when omitted. */
    ip?: string;
    protocol?: "tcp" | "udp";
}

export interface ContainerSpec {
    /** Harbor component (log, registry, core, ...): also the syslog tag and network alias. */
    component: string;
    /** Docker container name, unique on the engine. */
    name: string;
    /** Full image reference (registry/namespace/name:tag). */
    image: string;
    env: Record<string, string>;
    /** Env keys whose values are (or contain) secrets. */
    secretEnv: string[];
    files: ContainerFile[];
    mounts: ContainerMount[];
    ports: ContainerPort[];
    aliases: string[];
    ipv4: string;
    /** user[:group]; undefined = image default (log needs root for cron). */
    user?: string;
    hostname?: string;
    command?: string[];
    /** Replaces the image's entrypoint; undefined = the image's own. */
    entrypoint?: string[];
    /**
     * Linux capabilities exactly as the provider's Docker client sends them and the daemon reads
     * them back (`CAP_` prefix, upper case, sorted, unique; `ALL` as is): see v2.ts `caps`.
     */
    capAdd: string[];
    capDrop: string[];
    /** Health check; every container waits for it before its dependents (and `up`) go on. */
    healthcheck: { test: string[]; interval: string; timeout: string; retries: number; startPeriod: string };
    /** Components that must be healthy before this starts. */
    after: string[];
    /** Docker log driver and its options, exactly as the daemon reports them back. */
    log: { driver: string; options: Record<string, string> };
}

/**
 * How the balancers judge one component of one node by what is local to that node. Never a
 * request that waits on the shared database or Redis: those hang on every node at once
 * (../shared/reference/real-harbor/), and a balancer must not empty itself over a shared hiccup.
 */
export interface NodeProbe {
    component: string;
    /** The component's fixed address on the node's Harbor network (reachable from the host). */
    address: string;
    port: number;
    /** tcp: the process accepts connections; http: GET `path` answers 2xx. */
    kind: "tcp" | "http";
    path?: string;
}
