/**
 * adminserver: holds the system settings every 1.x component reads. Its env is the release's
 * make/common/templates/adminserver/env, with the external MySQL instead of the bundled one.
 *
 * Every node's adminserver writes the same settings (1.5: into the shared database; 1.1: into
 * the config.json every node shares on CephFS), so the env must be identical on every node, and
 * RESET=true makes it the source of truth: 1.5.2+ re-reads the whole env once per RELOAD_KEY
 * (a digest of the env, so it changes exactly when a setting does), older releases on every start.
 */
import * as crypto from "crypto";
import { ContainerSpec } from "../types";
import { appUrl, container, file, health, V1Context } from "./context";
import { hasReloadKey } from "./releases";

/** Settings harbor-ha does not manage, at the values a default harbor.cfg renders (LDAP, email and UAA unused). */
const UNMANAGED_V15: Record<string, string> = {
    AUTH_MODE: "db_auth", SELF_REGISTRATION: "on",
    LDAP_URL: "", LDAP_SEARCH_DN: "", LDAP_SEARCH_PWD: "", LDAP_BASE_DN: "", LDAP_FILTER: "", LDAP_UID: "uid",
    LDAP_SCOPE: "2", LDAP_TIMEOUT: "5", LDAP_VERIFY_CERT: "true", LDAP_GROUP_BASEDN: "", LDAP_GROUP_FILTER: "",
    LDAP_GROUP_GID: "cn", LDAP_GROUP_SCOPE: "2",
    EMAIL_HOST: "", EMAIL_PORT: "25", EMAIL_USR: "", EMAIL_PWD: "", EMAIL_SSL: "false", EMAIL_FROM: "", EMAIL_IDENTITY: "", EMAIL_INSECURE: "false",
    PROJECT_CREATION_RESTRICTION: "everyone", TOKEN_EXPIRATION: "30", CFG_EXPIRATION: "5", GODEBUG: "netdns=cgo",
    ADMIRAL_URL: "NA", WITH_NOTARY: "false", WITH_CLAIR: "false",
    CLAIR_DB_PASSWORD: "", CLAIR_DB_HOST: "postgres", CLAIR_DB_PORT: "5432", CLAIR_DB_USERNAME: "postgres", CLAIR_DB: "postgres",
    UAA_ENDPOINT: "", UAA_CLIENTID: "", UAA_CLIENTSECRET: "", UAA_VERIFY_CERT: "true",
    CLAIR_URL: "http://clair:6060", NOTARY_URL: "http://notary-server:4443",
    REGISTRY_STORAGE_PROVIDER_NAME: "filesystem", READ_ONLY: "false",
};

/** v1.1.x template keys (fewer: no UAA, Clair, LDAP groups or internal URLs; VERIFY_REMOTE_CERT instead). */
const KEYS_V11 = [
    "LOG_LEVEL", "EXT_ENDPOINT", "AUTH_MODE", "SELF_REGISTRATION", "LDAP_URL", "LDAP_SEARCH_DN", "LDAP_SEARCH_PWD", "LDAP_BASE_DN",
    "LDAP_FILTER", "LDAP_UID", "LDAP_SCOPE", "LDAP_TIMEOUT", "DATABASE_TYPE", "MYSQL_HOST", "MYSQL_PORT", "MYSQL_USR", "MYSQL_PWD",
    "MYSQL_DATABASE", "REGISTRY_URL", "TOKEN_SERVICE_URL", "EMAIL_HOST", "EMAIL_PORT", "EMAIL_USR", "EMAIL_PWD", "EMAIL_SSL",
    "EMAIL_FROM", "EMAIL_IDENTITY", "HARBOR_ADMIN_PASSWORD", "PROJECT_CREATION_RESTRICTION", "VERIFY_REMOTE_CERT", "MAX_JOB_WORKERS",
    "UI_SECRET", "JOBSERVICE_SECRET", "TOKEN_EXPIRATION", "CFG_EXPIRATION", "GODEBUG", "ADMIRAL_URL", "WITH_NOTARY", "RESET",
];

export const ADMINSERVER_SECRET_ENV = ["MYSQL_PWD", "HARBOR_ADMIN_PASSWORD", "UI_SECRET", "JOBSERVICE_SECRET", "LDAP_SEARCH_PWD", "EMAIL_PWD", "CLAIR_DB_PASSWORD", "UAA_CLIENTSECRET"];

export function adminserverEnv(ctx: V1Context): Record<string, string> {
    const { spec, shared, line, version } = ctx;
    const db = spec.database;
    const all: Record<string, string> = {
        ...(line.id === "v1.5" ? { PORT: String(line.appPort) } : {}),
        LOG_LEVEL: spec.harbor.logLevel,
        EXT_ENDPOINT: spec.harbor.externalUrl,
        ...UNMANAGED_V15,
        DATABASE_TYPE: "mysql",
        MYSQL_HOST: db.server.host,
        MYSQL_PORT: String(db.server.port),
        MYSQL_USR: db.target.user,
        MYSQL_PWD: shared.databasePassword,
        MYSQL_DATABASE: db.target.database,
        REGISTRY_URL: "http://registry:5000",
        TOKEN_SERVICE_URL: `${appUrl(ctx, "ui")}/service/token`,
        HARBOR_ADMIN_PASSWORD: shared.adminPassword,
        VERIFY_REMOTE_CERT: "on",
        MAX_JOB_WORKERS: String(spec.harbor.maxJobWorkers),
        UI_SECRET: shared.coreSecret,
        JOBSERVICE_SECRET: shared.jobserviceSecret,
        RESET: "true",
        UI_URL: appUrl(ctx, "ui"),
        JOBSERVICE_URL: appUrl(ctx, "jobservice"),
    };
    const env = line.id === "v1.1" ? pick(all, KEYS_V11) : omit(all, ["VERIFY_REMOTE_CERT"]);
    if (hasReloadKey(version)) {
        env.SKIP_RELOAD_ENV_PATTERN = "$^";
        env.RELOAD_KEY = reloadKey(env);
    }
    return env;
}

/** 16 hex digits of a digest over the whole env: identical on every node, new whenever a setting changes. */
function reloadKey(env: Record<string, string>): string {
    const text = Object.keys(env).sort().map((k) => `${k}=${env[k]}`).join("\n");
    return crypto.createHash("sha256").update(text).digest("hex").slice(0, 16);
}

const pick = (o: Record<string, string>, keys: string[]) => Object.fromEntries(keys.map((k) => [k, o[k]]));
const omit = (o: Record<string, string>, keys: string[]) => Object.fromEntries(Object.entries(o).filter(([k]) => !keys.includes(k)));

export function renderAdminserver(ctx: V1Context): ContainerSpec {
    const { line, paths, shared } = ctx;
    const env = adminserverEnv(ctx);
    // 1.1 keeps the settings in config.json: one directory on CephFS for every node, so a change
    // made on one node's UI is what every node reads (the JSON store reads the file on each call).
    const config = line.configStore === "json-file" ? [{ source: paths.adminserverConfig, target: "/etc/adminserver/config", readOnly: false }] : [];
    const ping = line.adminserverPing
        ? `curl --fail -s http://127.0.0.1:${line.appPort}/api/ping || exit 1`
        // 1.1 has no ping: any HTTP answer (401 without the UI secret) shows the server is up.
        : `curl -s -o /dev/null http://127.0.0.1:${line.appPort}/api/configurations || exit 1`;
    return container(ctx, "adminserver", {
        env,
        secretEnv: ADMINSERVER_SECRET_ENV.filter((k) => k in env),
        files: [file("/etc/adminserver/key", shared.secretKey, true)],
        // The storage capacity the UI shows is read from /data (IMAGE_STORE_PATH's default).
        mounts: [...config, { source: paths.sharedRoot, target: "/data", readOnly: true }],
        ports: [],
        healthcheck: health(ping),
        after: ["log"],
    });
}
