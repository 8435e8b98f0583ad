/** jobservice: replication, GC, scans and webhooks, queued in the shared Redis. */
import { toYaml } from "../../render/template";
import { ContainerSpec } from "../types";
import { container, file, health, V2Context } from "./context";
import { INTERNAL_URLS, registryCredentialEnv } from "./core";
import { proxyEnv } from "./outbound-proxy";

function jobLoggers(ctx: V2Context) {
    const h = ctx.spec.harbor;
    return h.jobLoggers.map((name) => {
        if (name === "FILE") return { name, level: "INFO", settings: { base_dir: "/var/log/jobs" }, sweeper: { duration: h.jobLogSweeperDays, settings: { work_dir: "/var/log/jobs" } } };
        if (name === "DB") return { name, level: "INFO", sweeper: { duration: h.jobLogSweeperDays } };
        return { name, level: "INFO" };
    });
}

function jobserviceConfig(ctx: V2Context): string {
    const h = ctx.spec.harbor;
    return toYaml({
        protocol: "http",
        port: 8080,
        worker_pool: {
            workers: h.maxJobWorkers,
            backend: "redis",
            redis_pool: { redis_url: ctx.shared.redis.jobserviceUrl, namespace: "harbor_job_service_namespace", idle_timeout_second: 3600 },
        },
        job_loggers: jobLoggers(ctx),
        loggers: [{ name: "STD_OUTPUT", level: "INFO" }],
        reaper: { max_update_hours: h.maxJobDurationHours, max_dangling_hours: 168 },
        max_retrieve_size_mb: 10,
    });
}

export function renderJobservice(ctx: V2Context): ContainerSpec {
    const { shared, spec, node } = ctx;
    const h = spec.harbor;
    return container(ctx, "jobservice", {
        // The node ID (periodic-job lock owner) is hostname:ip; keep it unique per node.
        hostname: `${node.name}-jobservice`,
        env: {
            CORE_SECRET: shared.coreSecret,
            JOBSERVICE_SECRET: shared.jobserviceSecret,
            CORE_URL: INTERNAL_URLS.CORE_URL,
            REGISTRY_URL: INTERNAL_URLS.REGISTRY_URL,
            REGISTRY_CONTROLLER_URL: INTERNAL_URLS.REGISTRY_CONTROLLER_URL,
            JOBSERVICE_WEBHOOK_JOB_MAX_RETRY: "3",
            JOBSERVICE_WEBHOOK_JOB_HTTP_CLIENT_TIMEOUT: "3",
            LOG_LEVEL: h.logLevel,
            ...registryCredentialEnv(ctx),
            MAX_JOB_DURATION_SECONDS: String(h.maxJobDurationHours * 3600),
            ...proxyEnv(spec, "jobservice"),
        },
        secretEnv: ["CORE_SECRET", "JOBSERVICE_SECRET", "REGISTRY_CREDENTIAL_PASSWORD"],
        files: [file("/etc/jobservice/config.yml", jobserviceConfig(ctx), true)],
        mounts: [{ source: ctx.paths.jobLogs, target: "/var/log/jobs", readOnly: false }],
        ports: [],
        healthcheck: health("curl --fail -s http://localhost:8080/api/v1/stats || exit 1"),
        after: ["core"],
    });
}
