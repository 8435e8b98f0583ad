/**
 * RedisEndpoint + password -> the Redis settings of every Harbor 2.x component (profile input),
 * built with the URL builders in ./urls.
 */
import { RedisEndpoint } from "../database/types";
import { RedisValues } from "../profiles/types";
import { harborRedisUrls, registryRedisConfig } from "./urls";

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
