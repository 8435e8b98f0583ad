/**
 * The seam between the cluster and its external data services: what Harbor's containers need
 * from the database and Redis (the Harbor DB password, every Redis URL), and the resources that
 * must be ready before any Harbor container starts (provisioning, readiness checks, dev services).
 */
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { ClusterSpec } from "./config/spec";
import { RedisValues } from "./profiles/types";
import { harborRedisValues } from "./redis/harbor-values";

export interface DataServices {
    /** Password Harbor's DB user logs in with (secret). */
    databasePassword: pulumi.Output<string>;
    /** Every Redis URL/setting Harbor's components use (secret). */
    redis: pulumi.Output<RedisValues>;
    /** Harbor containers depend on these. */
    ready: pulumi.Resource[];
}

export interface DataServicesOptions {
    parent: pulumi.Resource;
    randomProvider: random.Provider;
}

export function wireDataServices(name: string, spec: ClusterSpec, o: DataServicesOptions): DataServices {
    const r = { parent: o.parent, provider: o.randomProvider };
    const provisioned = spec.database.provision.enabled || spec.devServices.enabled;
    const databasePassword = provisioned
        ? new random.RandomPassword(`${name}-db-password`, { length: 32, special: false }, r).result
        : spec.secrets.databasePassword!;
    const redisPassword = spec.secrets.redisPassword ?? pulumi.output("");
    const redis = pulumi.secret(redisPassword.apply((pw) => harborRedisValues(spec.redis.endpoint, pw || undefined)));
    return { databasePassword: pulumi.secret(databasePassword), redis, ready: [] };
}
