/**
 * jobservice of Harbor 1.x: replication and scan jobs. 1.5 queues jobs in the shared Redis
 * (config.yml worker_pool); 1.1 queues them in memory on the node that took the request. Job
 * logs go to the shared CephFS directory, so any node's UI shows any job's log (the 1.5 HA
 * guide's known issue H#3919 and its NFS workaround).
 */
import { toYaml } from "../../render/template";
import { ContainerSpec } from "../types";
import { appUrl, container, file, health, V1Context } from "./context";

function jobserviceConfigYaml(ctx: V1Context): string {
    const { spec, shared } = ctx;
    return toYaml({
        protocol: "http",
        port: ctx.line.appPort,
        worker_pool: {
            workers: spec.harbor.maxJobWorkers,
            backend: "redis",
            redis_pool: { redis_url: shared.redis.jobserviceUrl, namespace: "harbor_job_service_namespace" },
        },
        logger: { path: "/var/log/jobs", level: spec.harbor.logLevel.toUpperCase(), archive_period: spec.harbor.jobLogSweeperDays },
        admin_server: `${appUrl(ctx, "adminserver")}/`,
    });
}

export function renderJobservice(ctx: V1Context): ContainerSpec {
    const { spec, shared, line } = ctx;
    const v15 = line.jobQueue === "redis";
    const env: Record<string, string> = v15
        ? { UI_SECRET: shared.coreSecret, JOBSERVICE_SECRET: shared.jobserviceSecret, ADMINSERVER_URL: appUrl(ctx, "adminserver"), GODEBUG: "netdns=cgo" }
        : { LOG_LEVEL: spec.harbor.logLevel, CONFIG_PATH: "/etc/jobservice/app.conf", UI_SECRET: shared.coreSecret, JOBSERVICE_SECRET: shared.jobserviceSecret, GODEBUG: "netdns=cgo" };
    const config = v15
        ? file("/etc/jobservice/config.yml", jobserviceConfigYaml(ctx), true)
        : file("/etc/jobservice/app.conf", `appname = jobservice\nrunmode = dev\n\n[dev]\nhttpport = ${line.appPort}\n`);
    // /api/v1/stats needs the secret header (1.5): any HTTP answer shows the server is up.
    const probe = v15 ? "/api/v1/stats" : "/";
    return container(ctx, "jobservice", {
        env,
        secretEnv: ["UI_SECRET", "JOBSERVICE_SECRET"],
        files: [config, file("/etc/jobservice/key", shared.secretKey, true)],
        mounts: [{ source: ctx.paths.jobLogs, target: "/var/log/jobs", readOnly: false }],
        ports: [],
        healthcheck: health(`curl -s -o /dev/null http://127.0.0.1:${line.appPort}${probe} || exit 1`),
        after: ["ui", "adminserver"],
    });
}
