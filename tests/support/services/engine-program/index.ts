// Copied to a temp dir by the test; the components are loaded from the repository (config
// repoRoot) so that the engine serializes the very code under test.
import * as pulumi from "@pulumi/pulumi";

const cfg = new pulumi.Config();
const repo = cfg.require("repoRoot");
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { ExternalDatabase } = require(`${repo}/components/external-database`);
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { ExternalRedis } = require(`${repo}/components/external-redis`);

const db = new ExternalDatabase("harbor", {
    server: cfg.requireObject("dbServer"),
    target: cfg.requireObject("dbTarget"),
    harborPassword: cfg.requireSecret("harborPassword"),
    admin: { user: cfg.require("adminUser"), password: cfg.requireSecret("adminPassword") },
});
const redis = new ExternalRedis("harbor", {
    endpoint: cfg.requireObject("redisEndpoint"),
    password: cfg.requireSecret("redisPassword"),
});

export const dbReady = db.ready;
export const dbHost = db.host;
export const dbPassword = db.password;
export const redisUrls = redis.urls;
export const redisReady = redis.ready;
