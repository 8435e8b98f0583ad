/** trivy-adapter: the scanner, with harbor.yml's `trivy:` settings; each node keeps its own DB cache. */
import { ContainerSpec } from "../types";
import { container, health, V2Context } from "./context";
import { proxyEnv } from "./outbound-proxy";

export function renderTrivyAdapter(ctx: V2Context): ContainerSpec {
    const { spec, shared, paths } = ctx;
    const t = spec.trivy;
    return container(ctx, "trivy-adapter", {
        env: {
            SCANNER_LOG_LEVEL: spec.harbor.logLevel,
            SCANNER_REDIS_URL: shared.redis.trivyUrl,
            SCANNER_STORE_REDIS_URL: shared.redis.trivyUrl,
            SCANNER_STORE_REDIS_NAMESPACE: "harbor.scanner.trivy:store",
            SCANNER_JOB_QUEUE_REDIS_URL: shared.redis.trivyUrl,
            SCANNER_JOB_QUEUE_REDIS_NAMESPACE: "harbor.scanner.trivy:job-queue",
            SCANNER_TRIVY_CACHE_DIR: "/home/scanner/.cache/trivy",
            SCANNER_TRIVY_REPORTS_DIR: "/home/scanner/.cache/reports",
            SCANNER_TRIVY_VULN_TYPE: "os,library",
            SCANNER_TRIVY_SEVERITY: "UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL",
            SCANNER_TRIVY_IGNORE_UNFIXED: String(t.ignoreUnfixed),
            SCANNER_TRIVY_SKIP_UPDATE: String(t.skipUpdate),
            SCANNER_TRIVY_SKIP_JAVA_DB_UPDATE: String(t.skipJavaDbUpdate),
            SCANNER_TRIVY_DB_REPOSITORY: t.dbRepository,
            SCANNER_TRIVY_JAVA_DB_REPOSITORY: t.javaDbRepository,
            SCANNER_TRIVY_OFFLINE_SCAN: String(t.offlineScan),
            SCANNER_TRIVY_SECURITY_CHECKS: t.securityCheck,
            // Harbor renders it empty unless harbor.yml sets one; the DBs come from OCI registries.
            SCANNER_TRIVY_GITHUB_TOKEN: "",
            SCANNER_TRIVY_INSECURE: String(t.insecure),
            SCANNER_TRIVY_TIMEOUT: t.timeout,
            ...proxyEnv(spec, "trivy"),
            SCANNER_API_SERVER_ADDR: ":8080",
        },
        secretEnv: ["SCANNER_REDIS_URL", "SCANNER_STORE_REDIS_URL", "SCANNER_JOB_QUEUE_REDIS_URL"],
        files: [],
        mounts: [
            { source: paths.trivyCache, target: "/home/scanner/.cache/trivy", readOnly: false },
            { source: paths.trivyReports, target: "/home/scanner/.cache/reports", readOnly: false },
        ],
        ports: [],
        healthcheck: health("curl --fail -s http://localhost:8080/probe/healthy || exit 1"),
        after: ["log"],
    });
}
