/**
 * RedisEndpoint + password -> the Redis settings of every Harbor 2.x component (profile input),
 * built with the URL builders in ./urls.
 */
import { RedisEndpoint } from "../database/types";
import { RedisValues } from "../profiles/types";
import { beegoRedisUrl, harborRedisUrls, redisUrl, registryRedisConfig } from "./urls";

export function harborRedisValues(ep: RedisEndpoint, password: string | undefined): RedisValues {
    const urls = harborRedisUrls(ep, password ?? "");
    const reg = registryRedisConfig(ep, password ?? "");
    return {
        coreUrl: urls.core,
        registryUrl: urls.registry,
        jobserviceUrl: urls.jobservice,
        trivyUrl: urls.trivy,
        // Optional separate DBs: only when configured, as Harbor's own templates do.
        harborUrl: ep.dbIndex.harbor !== undefined ? urls.harbor : undefined,
        cacheLayerUrl: ep.dbIndex.cacheLayer !== undefined ? urls.cacheLayer : undefined,
        registry: { ...reg, password: reg.password || undefined },
    };
}

/**
 * The Redis settings of Harbor 1.x: ui sessions in beego's comma form, jobservice's queue (1.5) as
 * a redis:// URL (its config loader takes a URL as is; the comma form is only translated when the
 * text is not a URL, and `10.0.0.5:6379,...` is not, but `redis:6379,...` is), and the registry's
 * layer cache. DB indexes: sessions = core, queue = jobservice, cache = registry.
 */
export function v1RedisValues(ep: RedisEndpoint, password: string | undefined): RedisValues {
    const pw = password ?? "";
    const reg = registryRedisConfig(ep, pw);
    return {
        coreUrl: "",
        registryUrl: "",
        // No query string: Harbor 1.5's redigo ignores idle_timeout_seconds, and 2.x's form is not its form.
        jobserviceUrl: redisUrl({ ...ep, idleTimeoutSeconds: 0 }, pw, ep.dbIndex.jobservice),
        trivyUrl: "",
        legacySessionUrl: beegoRedisUrl(ep, pw, ep.dbIndex.core),
        registry: { ...reg, password: reg.password || undefined },
    };
}
