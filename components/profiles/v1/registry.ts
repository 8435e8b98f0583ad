/**
 * registry (distribution 2.6) of Harbor 1.x: blobs on the shared CephFS directory, bearer tokens
 * checked against the stack's one token certificate, so a token any node's ui issued is accepted
 * by every node's registry. The layer cache is in the shared Redis, as make/ha/config_ha.yml
 * has it, with the password and DB index written out (the HA template had neither field).
 */
import { toYaml } from "../../render/template";
import { ContainerSpec } from "../types";
import { appUrl, container, file, health, V1Context } from "./context";

export function registryConfigYaml(ctx: V1Context): string {
    const { spec, shared } = ctx;
    const r = shared.redis.registry;
    return toYaml({
        version: 0.1,
        log: { level: spec.harbor.logLevel === "warning" ? "warn" : spec.harbor.logLevel, fields: { service: "registry" } },
        storage: {
            cache: { layerinfo: "redis" },
            filesystem: { rootdirectory: "/storage" },
            maintenance: { uploadpurging: { enabled: false } },
            delete: { enabled: true },
        },
        redis: {
            addr: r.addr,
            ...(r.password ? { password: r.password } : {}),
            db: r.db,
            // make/ha/config_ha.yml's values: a slow Redis only costs a cache miss.
            dialtimeout: "10ms",
            readtimeout: "10ms",
            writetimeout: "10ms",
            pool: { maxidle: 16, maxactive: 64, idletimeout: "300s" },
        },
        // Upload state must validate on whichever node the next chunk reaches.
        http: { addr: ":5000", secret: shared.registryHttpSecret, debug: { addr: "localhost:5001" } },
        auth: {
            token: {
                issuer: "harbor-token-issuer",
                realm: `${spec.harbor.externalUrl}/service/token`,
                rootcertbundle: "/etc/registry/root.crt",
                service: "harbor-registry",
            },
        },
        notifications: {
            endpoints: [{ name: "harbor", disabled: false, url: `${appUrl(ctx, "ui")}/service/notifications`, timeout: "3000ms", threshold: 5, backoff: "1s" }],
        },
    });
}

export function renderRegistry(ctx: V1Context): ContainerSpec {
    return container(ctx, "registry", {
        env: { GODEBUG: "netdns=cgo" },
        files: [file("/etc/registry/config.yml", registryConfigYaml(ctx), true), file("/etc/registry/root.crt", ctx.shared.tokenCertificate)],
        mounts: [{ source: ctx.paths.registry, target: "/storage", readOnly: false }],
        ports: [],
        command: ["serve", "/etc/registry/config.yml"],
        healthcheck: health("curl -s -o /dev/null http://127.0.0.1:5000/ || exit 1"),
        after: ["log"],
    });
}
