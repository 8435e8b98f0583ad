/**
 * The seam between the cluster and its external data services: what Harbor's containers need
 * from the database and Redis (the Harbor DB password, every Redis URL), and the resources that
 * must be ready before any Harbor container starts (provisioning, readiness checks, dev services).
 *
 * Two views of each server: `spec.database.server` / `spec.redis.endpoint` is where Harbor's
 * containers connect; the admin/probe view is where the machine running Pulumi connects (they
 * differ in the dev stack: containers use the dev network, Pulumi the ports on 127.0.0.1).
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { DEV_SERVICES } from "./config/defaults";
import { ClusterSpec } from "./config/spec";
import { ExternalDatabase } from "./external-database";
import { ExternalRedis } from "./external-redis";
import { RedisValues } from "./profiles/types";
import { profileOf } from "./profiles";
import { harborRedisValues, v1RedisValues } from "./redis/harbor-values";
import { localDockerProvider } from "./transport";

export interface DataServices {
    /** Password Harbor's DB user logs in with (secret). */
    databasePassword: pulumi.Output<string>;
    /** Every Redis URL/setting Harbor's components use (secret). */
    redis: pulumi.Output<RedisValues>;
    /** Harbor containers depend on these. */
    ready: pulumi.Resource[];
    /** Dev stack: the network the dev PostgreSQL and Redis are reached on; local Harbor containers join it. */
    devNetwork?: pulumi.Output<string>;
}

export interface DataServicesOptions {
    parent: pulumi.Resource;
    randomProvider: random.Provider;
    /** The stack's Harbor admin password (secret), made the one Harbor applies at start. */
    adminPassword: pulumi.Input<string>;
}

export function wireDataServices(name: string, spec: ClusterSpec, o: DataServicesOptions): DataServices {
    const r = { parent: o.parent, provider: o.randomProvider };
    const db = spec.database;
    const generation = profileOf(spec).generation;
    const dev = spec.devServices.enabled ? devServices(name, spec, o) : undefined;

    const provision = db.provision.enabled;
    const databasePassword = pulumi.secret(
        provision ? new random.RandomPassword(`${name}-db-password`, { length: 32, special: false }, r).result : spec.secrets.databasePassword!,
    );
    const adminPassword = dev?.adminPassword ?? spec.secrets.databaseAdminPassword;
    const database = new ExternalDatabase(
        `${name}-database`,
        {
            server: { ...db.server, host: db.provision.adminHost, port: db.provision.adminPort },
            target: db.target,
            harborPassword: databasePassword,
            provision,
            admin: provision ? { user: db.provision.adminUser, password: adminPassword!, database: db.provision.adminDatabase } : undefined,
            dropOnDestroy: db.provision.dropOnDestroy,
            importDump: db.import,
            profile: generation,
            initialAdminPassword: o.adminPassword,
        },
        { parent: o.parent, dependsOn: dev?.resources ?? [] },
    );

    const redisPassword = pulumi.secret(dev?.redisPassword ?? spec.secrets.redisPassword ?? pulumi.output(""));
    const redisCheck = new ExternalRedis(
        `${name}-redis`,
        { endpoint: spec.redis.probeEndpoint, password: redisPassword, profile: generation },
        { parent: o.parent, dependsOn: dev?.resources ?? [] },
    );
    const values = generation === "v1" ? v1RedisValues : harborRedisValues;
    const redis = pulumi.secret(redisPassword.apply((pw) => values(spec.redis.endpoint, pw || undefined)));
    return { databasePassword, redis, ready: [database, redisCheck], devNetwork: dev?.network };
}

/**
 * The host ports the dev services publish, for the machine running Pulumi only (provisioning,
 * readiness probes, a developer's psql): 127.0.0.1, never the LAN. Harbor's containers use the
 * dev network instead (a published 127.0.0.1 port is not reachable from a container).
 */
export function devServicePorts(spec: ClusterSpec): { postgres: docker.types.input.ContainerPort; redis: docker.types.input.ContainerPort } {
    const d = spec.devServices;
    return {
        postgres: { internal: 5432, external: d.postgresPort, ip: "127.0.0.1", protocol: "tcp" },
        redis: { internal: 6379, external: d.redisPort, ip: "127.0.0.1", protocol: "tcp" },
    };
}

/**
 * Dev stack only: PostgreSQL and Redis as containers on the local engine, with generated
 * passwords. Creation waits until each is healthy. PostgreSQL's data is a host directory, so
 * destroy keeps it as it keeps the blobs; scripts/dev-down.sh removes both.
 */
function devServices(name: string, spec: ClusterSpec, o: DataServicesOptions) {
    const d = spec.devServices;
    const r = { parent: o.parent, provider: o.randomProvider };
    const provider = localDockerProvider(`${name}-dev-docker`, { parent: o.parent });
    const res = { parent: o.parent, provider };
    const adminPassword = pulumi.secret(new random.RandomPassword(`${name}-dev-postgres-password`, { length: 32, special: false }, r).result);
    const redisPassword = pulumi.secret(new random.RandomPassword(`${name}-dev-redis-password`, { length: 32, special: false }, r).result);
    const health = (cmd: string) => ({ tests: ["CMD-SHELL", cmd], interval: "2s", timeout: "5s", retries: 30, startPeriod: "5s" });
    const ports = devServicePorts(spec);
    const network = new docker.Network(`${name}-dev-network`, { name: DEV_SERVICES.network, driver: "bridge" }, res);
    const on = [{ name: network.name, aliases: [] as string[] }];

    const pgImage = new docker.RemoteImage(`${name}-dev-postgres-image`, { name: d.postgresImage, keepLocally: true }, res);
    const postgres = new docker.Container(
        `${name}-dev-postgres`,
        {
            name: DEV_SERVICES.postgres,
            image: pgImage.imageId,
            envs: [pulumi.secret(pulumi.interpolate`POSTGRES_PASSWORD=${adminPassword}`), "POSTGRES_USER=postgres"],
            ports: [ports.postgres],
            volumes: [{ hostPath: d.postgresDataDir, containerPath: "/var/lib/postgresql/data" }],
            networkMode: "bridge",
            networksAdvanced: on,
            restart: "unless-stopped",
            healthcheck: health("pg_isready -U postgres"),
            wait: true,
            waitTimeout: 120,
        },
        { ...res, deleteBeforeReplace: true },
    );
    const redisImage = new docker.RemoteImage(`${name}-dev-redis-image`, { name: d.redisImage, keepLocally: true }, res);
    const redis = new docker.Container(
        `${name}-dev-redis`,
        {
            name: DEV_SERVICES.redis,
            image: redisImage.imageId,
            // The password is in a file, not on the command line (visible in `ps` and `docker inspect`).
            uploads: [{ file: "/usr/local/etc/redis/redis.conf", content: pulumi.secret(pulumi.interpolate`requirepass ${redisPassword}\n`) }],
            command: ["redis-server", "/usr/local/etc/redis/redis.conf"],
            ports: [ports.redis],
            networkMode: "bridge",
            networksAdvanced: on,
            restart: "unless-stopped",
            healthcheck: health("redis-cli -a \"$(sed -n 's/^requirepass //p' /usr/local/etc/redis/redis.conf)\" --no-auth-warning ping | grep -q PONG"),
            wait: true,
            waitTimeout: 120,
        },
        { ...res, deleteBeforeReplace: true },
    );
    return { adminPassword, redisPassword, resources: [postgres, redis], network: network.name };
}
