import { createHash } from "crypto";
/**
 * Stack configs used across the test rungs, in the form Pulumi hands them to the program:
 * `<project>:<key>` -> string (objects as JSON), plus the set of keys set with --secret.
 */
import { RawConfig } from "../../components/config/load";

export const PROJECT = "harbor-ha";

/** Distinctive secret values, so a test can search any output for them. */
export const SECRET_VALUES = {
    cephKey: "AQDcephKEYsecretVALUE0000000000000000000==",
    databaseAdminPassword: "adm'in\"pa$$ word;`rm -rf`&|",
    redisPassword: "re@dis:pa/ss%word#?",
};

/** A well-formed ed25519 host key line for a test node (not a real host's key). */
export function testHostKey(name: string): string {
    const type = Buffer.from("ssh-ed25519");
    const len = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32BE(n); return b; };
    const body = createHash("sha256").update(name).digest();
    return `ssh-ed25519 ${Buffer.concat([len(type.length), type, len(body.length), body]).toString("base64")}`;
}

/** Nodes with pinned host keys, as ssh.strictHostKeyChecking: yes (the default) requires. */
export function prodNodes(n: number) {
    return Array.from({ length: n }, (_, i) => ({ name: `node${i + 1}`, address: `10.20.0.${11 + i}`, hostKey: testHostKey(`node${i + 1}`) }));
}

/** The documented three-node production example (Pulumi.prod.yaml shape). */
export function prodConfig(nodes = 3, overrides: Record<string, unknown> = {}): Record<string, unknown> {
    return {
        harbor: { hostname: "harbor.example.com", version: "v2.15.2", trivy: true },
        nodes: prodNodes(nodes),
        ssh: { user: "root", privateKeyPath: "/dev/null" },
        loadBalancer: { mode: "keepalived", vip: "10.20.0.100", subnet: "10.20.0.0/24", interface: "eth0" },
        storage: { type: "cephfs", cephfs: { monitors: ["10.20.0.5:6789"], path: "/harbor", clientName: "harbor" } },
        database: { host: "10.20.0.6", provision: { enabled: true, adminUser: "postgres" } },
        redis: { mode: "sentinel", sentinels: ["10.20.0.7:26379", "10.20.0.8:26379", "10.20.0.9:26379"], masterSet: "harbor" },
        ...overrides,
    };
}

export const prodSecrets: Record<string, string> = {
    cephKey: SECRET_VALUES.cephKey,
    databaseAdminPassword: SECRET_VALUES.databaseAdminPassword,
    redisPassword: SECRET_VALUES.redisPassword,
};

/** Builds RawConfig; `plain` lists secret keys that were (wrongly) stored in plain text. */
export function raw(values: Record<string, unknown>, secrets: Record<string, string> = prodSecrets, plain: string[] = []): RawConfig {
    const out: Record<string, string> = {};
    const secretKeys = new Set<string>();
    for (const [k, v] of Object.entries(values)) if (v !== undefined) out[`${PROJECT}:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
    for (const [k, v] of Object.entries(secrets)) {
        out[`${PROJECT}:${k}`] = v;
        if (!plain.includes(k)) secretKeys.add(`${PROJECT}:${k}`);
    }
    return { project: PROJECT, values: out, secretKeys };
}

/**
 * A three-node Harbor 1.x stack (v1.5.x or v1.1.x): external MySQL/MariaDB provisioned by the
 * program, the release's registry.sql loaded through database.import, standalone Redis.
 */
export function v1Config(version = "v1.5.4", nodes = 3, overrides: Record<string, unknown> = {}): Record<string, unknown> {
    return prodConfig(nodes, {
        harbor: { hostname: "harbor.example.com", version },
        database: { engine: "mysql", host: "10.20.0.6", provision: { enabled: true }, import: { path: "/srv/harbor/registry.sql" } },
        redis: { host: "10.20.0.7" },
        ...overrides,
    });
}
