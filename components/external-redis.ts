/**
 * ExternalRedis: the Redis every Harbor instance shares. Builds each consumer's URL (secret,
 * since they carry the password) and the registry's redis block, and checks readiness (AUTH +
 * PING, Sentinel master discovery) before Harbor's containers start.
 *
 * Children: `${name}-ready` RedisReadiness (unless checkReadiness is false).
 */
import * as pulumi from "@pulumi/pulumi";
import type { RedisEndpoint } from "./database/types";
import { beegoRedisUrl, HarborRedisUrls, harborRedisUrls, RegistryRedisConfig, registryRedisConfig } from "./redis/urls";
import { RedisReadiness } from "./redis/redis-readiness";

export interface ExternalRedisArgs {
    /** Where Redis is: standalone server or Sentinel set, TLS, ACL user, DB per consumer. */
    endpoint: pulumi.Input<RedisEndpoint>;
    /** Redis password (secret); "" when the server has none. */
    password: pulumi.Input<string>;
    /** Run the readiness probe as a resource (default true). */
    checkReadiness?: boolean;
    /** "v1" also produces Harbor 1.x's beego `_REDIS_URL` (standalone, no TLS, DB = core). Default "v2". */
    profile?: "v1" | "v2";
}

export class ExternalRedis extends pulumi.ComponentResource {
    /** One URL per Harbor consumer (secret). */
    public readonly urls: pulumi.Output<HarborRedisUrls>;
    /** The registry config.yml redis block (secret: it holds the password). */
    public readonly registryConfig: pulumi.Output<RegistryRedisConfig>;
    /** Harbor 1.x `_REDIS_URL` (secret); only with profile "v1". */
    public readonly legacyUrl?: pulumi.Output<string>;
    /** host:port that answered the readiness probe; resolves only after it passed. */
    public readonly ready: pulumi.Output<string>;
    /** The readiness resource, for `dependsOn` (absent when checkReadiness is false). */
    public readonly readiness?: RedisReadiness;

    constructor(name: string, args: ExternalRedisArgs, opts?: pulumi.ComponentResourceOptions) {
        super("harbor-ha:redis:ExternalRedis", name, {}, opts);
        const password = pulumi.secret(args.password);
        const both = pulumi.all([args.endpoint, password]);
        this.urls = pulumi.secret(both.apply(([ep, pw]) => harborRedisUrls(ep, pw)));
        this.registryConfig = pulumi.secret(both.apply(([ep, pw]) => registryRedisConfig(ep, pw)));
        if (args.profile === "v1") {
            this.legacyUrl = pulumi.secret(both.apply(([ep, pw]) => beegoRedisUrl(ep, pw, ep.dbIndex.core)));
        }
        if (args.checkReadiness ?? true) {
            this.readiness = new RedisReadiness(`${name}-ready`, { endpoint: args.endpoint, password }, { parent: this });
            this.ready = this.readiness.master;
        } else {
            this.ready = pulumi.output("not checked");
        }
        this.registerOutputs({ urls: this.urls, registryConfig: this.registryConfig, ready: this.ready });
    }
}
