/**
 * registry (distribution) and registryctl, which reads the same config.yml to run garbage
 * collection. Both mount the shared blob store.
 */
import { toYaml } from "../../render/template";
import { ContainerFile, ContainerSpec } from "../types";
import { container, file, health, V2Context } from "./context";

export const REGISTRY_USER = "harbor_registry_user";

/** registry/config.yml.jinja's settings; the upload state secret must match on every node. */
function registryConfig(ctx: V2Context): string {
    const { harbor: h } = ctx.spec;
    const r = ctx.shared.redis.registry;
    return toYaml({
        version: 0.1,
        log: { level: h.logLevel === "warning" ? "warn" : h.logLevel, fields: { service: "registry" } },
        storage: {
            cache: { layerinfo: "redis" },
            filesystem: { rootdirectory: "/storage" },
            maintenance: { uploadpurging: { enabled: true, age: "168h", interval: "24h", dryrun: false } },
            delete: { enabled: true },
        },
        redis: {
            addr: r.addr,
            ...(r.sentinelMasterSet ? { sentinelMasterSet: r.sentinelMasterSet } : {}),
            ...(r.username ? { username: r.username } : {}),
            ...(r.password ? { password: r.password } : {}),
            db: r.db,
            enableTLS: r.enableTLS,
            readtimeout: "10s",
            writetimeout: "10s",
            dialtimeout: "10s",
            pool: { maxidle: 100, maxactive: 500, idletimeout: "60s" },
        },
        http: { addr: ":5000", secret: ctx.shared.registryHttpSecret, debug: { addr: "localhost:5001" } },
        auth: { htpasswd: { realm: "harbor-registry-basic-realm", path: "/etc/registry/passwd" } },
        validation: { disabled: true },
        compatibility: { schema1: { enabled: true } },
    });
}

function registryFiles(ctx: V2Context): ContainerFile[] {
    return [
        file("/etc/registry/config.yml", registryConfig(ctx), true),
        file("/etc/registry/passwd", ctx.shared.registryHtpasswd + "\n", true),
        file("/etc/registry/root.crt", ctx.shared.tokenCertificate),
    ];
}

const storage = (ctx: V2Context) => ({ source: ctx.paths.registry, target: "/storage", readOnly: false });

export function renderRegistry(ctx: V2Context): ContainerSpec {
    return container(ctx, "registry", {
        files: registryFiles(ctx),
        mounts: [storage(ctx)],
        ports: [],
        healthcheck: health("curl --fail -s http://localhost:5000 || exit 1"),
        after: ["log"],
    });
}

export function renderRegistryctl(ctx: V2Context): ContainerSpec {
    const { shared, spec } = ctx;
    return container(ctx, "registryctl", {
        env: { CORE_SECRET: shared.coreSecret, JOBSERVICE_SECRET: shared.jobserviceSecret },
        secretEnv: ["CORE_SECRET", "JOBSERVICE_SECRET"],
        files: [
            ...registryFiles(ctx),
            file("/etc/registryctl/config.yml", toYaml({ protocol: "http", port: 8080, log_level: spec.harbor.logLevel, registry_config: "/etc/registry/config.yml" })),
        ],
        mounts: [storage(ctx)],
        ports: [],
        healthcheck: health("curl --fail -s http://localhost:8080/api/health || exit 1"),
        after: ["log"],
    });
}
