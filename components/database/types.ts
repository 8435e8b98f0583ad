/**
 * Plain data shapes shared by the config layer and the database layer.
 * No Pulumi types here: the provider code runs in a separate process and
 * the readiness checks run in tests without the engine.
 */

/** Harbor 2.x talks PostgreSQL only; MySQL/MariaDB serves the Harbor 1.x profile. */
export type DbEngine = "postgresql" | "mysql";

/** libpq sslmode values Harbor passes through to pgx; for MySQL "disable" = no TLS, anything else = TLS. */
export type DbSslMode = "disable" | "require" | "verify-ca" | "verify-full";

/** Where the database server is and how to reach it. */
export interface DbServer {
    engine: DbEngine;
    host: string;
    port: number;
    sslmode: DbSslMode;
    /** Upper bound for one connection attempt, in seconds. */
    connectTimeoutSeconds: number;
}

/** What Harbor connects as. The password is passed separately, never inside this object. */
export interface DbTarget {
    /** Database Harbor uses (default "registry"). */
    database: string;
    /** Dedicated Harbor login. */
    user: string;
}

export type RedisMode = "standalone" | "sentinel";

export interface RedisHostPort {
    host: string;
    port: number;
}

/** DB index per Harbor consumer (compose defaults: core 0, registry 1, jobservice 2, trivy 5). */
export interface RedisDbIndexes {
    core: number;
    registry: number;
    jobservice: number;
    trivy: number;
    /** Optional business cache (_REDIS_URL_HARBOR); omitted = same as core. */
    harbor?: number;
    /** Optional cache layer (_REDIS_URL_CACHE_LAYER); omitted = same as harbor. */
    cacheLayer?: number;
}

/** Where Redis is. The password is passed separately, never inside this object. */
export interface RedisEndpoint {
    mode: RedisMode;
    /** standalone: the one server. */
    server?: RedisHostPort;
    /** sentinel: every sentinel (they must not require AUTH: Harbor sends the password only to the master). */
    sentinels?: RedisHostPort[];
    /** sentinel: the master set name. */
    masterSet?: string;
    tls: boolean;
    /** Redis 6 ACL user (Harbor 2.8+); omitted = default user. */
    username?: string;
    dbIndex: RedisDbIndexes;
    idleTimeoutSeconds: number;
    connectTimeoutSeconds: number;
}
