/**
 * `RedisReadiness`: a dynamic resource whose create/update runs checkRedisReady (AUTH + PING,
 * Sentinel master discovery), so Harbor's containers can depend on a Redis that answers.
 * Re-checks when the endpoint or the password changes; nothing to delete.
 */
import * as pulumi from "@pulumi/pulumi";
import type { RedisEndpoint } from "../database/types";
import { diffFields } from "../database/dynamic-diff";
import { checkRedisReady } from "./readiness";

export interface RedisReadinessProps {
    endpoint: RedisEndpoint;
    password: string;
}

export interface RedisReadinessArgs {
    endpoint: pulumi.Input<RedisEndpoint>;
    /** Redis password (secret); "" when the server needs none. */
    password: pulumi.Input<string>;
}

export const redisReadinessProvider: pulumi.dynamic.ResourceProvider = {
    async diff(_id: string, olds: RedisReadinessProps, news: RedisReadinessProps) {
        return diffFields(olds, news, { replaceOn: [], updateOn: ["endpoint", "password"] });
    },
    async create(inputs: RedisReadinessProps) {
        const ready = await checkRedisReady(inputs.endpoint, inputs.password);
        const where = inputs.endpoint.mode === "sentinel" ? `sentinel/${inputs.endpoint.masterSet}` : `${inputs.endpoint.server?.host}:${inputs.endpoint.server?.port}`;
        return { id: where, outs: { ...inputs, master: ready.master, version: ready.version } };
    },
    async update(_id: string, _olds: RedisReadinessProps, news: RedisReadinessProps) {
        const ready = await checkRedisReady(news.endpoint, news.password);
        return { outs: { ...news, master: ready.master, version: ready.version } };
    },
};

export class RedisReadiness extends pulumi.dynamic.Resource {
    /** host:port that answered at the last check (for Sentinel, the master at that time). */
    declare public readonly master: pulumi.Output<string>;
    declare public readonly version: pulumi.Output<string>;

    constructor(name: string, args: RedisReadinessArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            redisReadinessProvider,
            name,
            { ...args, master: undefined, version: undefined },
            { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "password"] },
            "harbor-ha",
            "RedisReadiness",
        );
    }
}
