/** A stack's config file read the way the engine hands it to the program (for the scripts that run outside Pulumi). */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { RawConfig } from "../components/config/load";

export const REPO = path.resolve(__dirname, "..");

/** A stack config file (Pulumi.<stack>.yaml) as the engine passes it: `<project>:<key>` -> string, objects as JSON. */
export function readStackConfig(file: string): RawConfig {
    const project = (YAML.parse(fs.readFileSync(path.join(REPO, "Pulumi.yaml"), "utf8")) as { name: string }).name;
    const doc = (YAML.parse(fs.readFileSync(file, "utf8")) ?? {}) as { config?: Record<string, unknown> };
    const values: Record<string, string> = {};
    const secretKeys = new Set<string>();
    for (const [k, v] of Object.entries(doc.config ?? {})) {
        const full = k.includes(":") ? k : `${project}:${k}`;
        if (v !== null && typeof v === "object" && "secure" in (v as object)) {
            // Not decryptable here; the dev stack sets none. A stand-in keeps the key "set".
            secretKeys.add(full);
            values[full] = "pre-flight-cannot-read-secrets";
        } else values[full] = typeof v === "string" ? v : JSON.stringify(v);
    }
    return { project, values, secretKeys };
}


/**
 * The stack's config as `pulumi config --json --show-secrets` prints it (secrets decrypted, with
 * the user's own backend and passphrase), or undefined when pulumi cannot answer.
 */
export function readStackConfigViaPulumi(stack: string): RawConfig | undefined {
    const r = spawnSync("pulumi", ["config", "--json", "--show-secrets", "--stack", stack, "--cwd", REPO], { encoding: "utf8", timeout: 60000 });
    if (r.status !== 0) return undefined;
    const project = (YAML.parse(fs.readFileSync(path.join(REPO, "Pulumi.yaml"), "utf8")) as { name: string }).name;
    const all = JSON.parse(r.stdout) as Record<string, { value?: string; secret?: boolean }>;
    const values: Record<string, string> = {};
    const secretKeys = new Set<string>();
    for (const [k, v] of Object.entries(all)) {
        if (v.value === undefined) continue;
        values[k] = v.value;
        if (v.secret) secretKeys.add(k);
    }
    return { project, values, secretKeys };
}
