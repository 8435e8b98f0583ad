/**
 * ui: API, token service and web UI of Harbor 1.x. Sessions live in the shared Redis through
 * `_REDIS_URL` (beego's redis provider), so a login on one node holds on every node; the token
 * signing key and the secretkey are the stack's, identical everywhere.
 */
import { ContainerSpec } from "../types";
import { appUrl, container, file, health, V1Context } from "./context";

export function renderUi(ctx: V1Context): ContainerSpec {
    const { spec, shared, line } = ctx;
    const env: Record<string, string> = {
        LOG_LEVEL: spec.harbor.logLevel,
        CONFIG_PATH: "/etc/ui/app.conf",
        UI_SECRET: shared.coreSecret,
        JOBSERVICE_SECRET: shared.jobserviceSecret,
        GODEBUG: "netdns=cgo",
        ...(line.id === "v1.5" ? { ADMINSERVER_URL: appUrl(ctx, "adminserver"), UAA_CA_ROOT: "/etc/ui/certificates/uaa_ca.pem" } : {}),
        // 1.1's templates never set it, but its ui honours it (src/ui/main.go): the original HA design did.
        _REDIS_URL: shared.redis.legacySessionUrl ?? "",
    };
    const appConf = `appname = Harbor\nrunmode = dev\nenablegzip = true\n\n[dev]\nhttpport = ${line.appPort}\n`;
    const ca = shared.caCertificate ? [file("/etc/ui/ca/ca.crt", shared.caCertificate)] : [];
    const ping = line.id === "v1.5"
        ? `curl --fail -s http://127.0.0.1:${line.appPort}/api/ping || exit 1`
        : `curl -s -o /dev/null http://127.0.0.1:${line.appPort}/api/systeminfo || exit 1`;
    return container(ctx, "ui", {
        env,
        secretEnv: ["UI_SECRET", "JOBSERVICE_SECRET", "_REDIS_URL"],
        files: [
            file("/etc/ui/app.conf", appConf),
            file("/etc/ui/private_key.pem", shared.tokenPrivateKey, true),
            file("/etc/ui/key", shared.secretKey, true),
            ...ca,
        ],
        mounts: [],
        ports: [],
        healthcheck: health(ping),
        after: ["log", "adminserver", "registry"],
    });
}
