/**
 * Settings the chosen release line cannot carry (profiles/index.ts `lacks`): refused with the
 * line's reason, never silently dropped. A new profile fills in its own `lacks`; nothing here
 * names a version.
 */
import { Feature, profileForVersion } from "../../profiles";
import { CheckContext, fieldSet, isSet, key, problem } from "./context";

/** Where each feature shows in the config: the key to name, and whether this config uses it. */
const USES: Array<[Feature, string, (c: CheckContext) => boolean]> = [
    ["redis.sentinel", "redis.mode", (c) => c.p.redis.mode === "sentinel"],
    ["redis.tls", "redis.tls", (c) => c.p.redis.tls],
    ["redis.username", "redis.username", (c) => c.p.redis.username !== undefined],
    ["harbor.trivy", "harbor.trivy", (c) => c.p.harbor.trivy],
    ["harbor.trivy", "trivy", (c) => isSet(c, "trivy")],
    ["harbor.jobLoggers", "harbor.jobLoggers", (c) => c.p.harbor.jobLoggers !== undefined],
    ["harbor.maxJobDurationHours", "harbor.maxJobDurationHours", (c) => c.p.harbor.maxJobDurationHours !== undefined],
    ["proxy", "proxy", (c) => isSet(c, "proxy")],
    ["trustedCaCertificates", "trustedCaCertificates", (c) => isSet(c, "trustedCaCertificates")],
    ["database.sslmode", "database.sslmode", (c) => c.p.database.sslmode !== "disable"],
    ["database.pool", "database", (c) => ["maxIdleConns", "maxOpenConns", "connMaxLifetime", "connMaxIdleTime"].some((f) => fieldSet(c, "database", f))],
    ["verify.canary", "verify.canary", (c) => c.p.verify.canary === true],
];

export function checkProfileFeatures(c: CheckContext): void {
    const version = c.p.harbor.version;
    const profile = profileForVersion(version)!;
    for (const [feature, where, used] of USES) {
        const why = profile.lacks[feature];
        if (why && used(c)) problem(c, where, `Harbor ${version} ${why}`);
    }
    if (profile.generation !== "v1") return;
    // beego's session form `host:port,poolsize,password,db` is split on commas, unescaped.
    if (c.raw.values[key(c, "redisPassword")]?.includes(","))
        problem(c, "redisPassword", `contains a comma, which Harbor ${version}'s Redis address form (host:port,poolsize,password,db) cannot carry; choose a password without commas`);
    if (c.p.devServices.enabled)
        problem(c, "devServices.enabled", `the dev services are PostgreSQL and Redis; Harbor ${version} needs MySQL/MariaDB: use an external database (database.engine: mysql) and turn devServices off`);
}
