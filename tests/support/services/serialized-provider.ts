/**
 * Runs a dynamic provider the way Pulumi does: serialize it with the same closure serializer
 * `pulumi.dynamic.Resource` uses, load the text in a separate Node process, call one method.
 * Catches what in-process tests cannot: a helper that does not survive serialization, a module
 * captured by value, a driver required at the wrong time.
 */
import * as pulumi from "@pulumi/pulumi";
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { scratchDir } from "./processes";

const projectRoot = path.resolve(__dirname, "../../..");

/** Serializes `provider` to a module file (exports.handler) and returns its path and text. */
export async function serializeProvider(provider: pulumi.dynamic.ResourceProvider): Promise<{ file: string; text: string }> {
    const sf = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
    const dir = scratchDir("provider");
    const file = path.join(dir, "provider.js");
    fs.writeFileSync(file, sf.text);
    return { file, text: sf.text };
}

/** The child's view of an error: exactly what Pulumi would print (message and stack). */
export interface SerializedCallResult {
    result?: unknown;
    error?: { message: string; stack: string };
}

const CHILD = `
const chunks = [];
process.stdin.on("data", (c) => chunks.push(c));
process.stdin.on("end", async () => {
    const { file, method, args } = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    const provider = require(file).handler();
    try {
        const result = await provider[method](...args);
        process.stdout.write(JSON.stringify({ result: result === undefined ? null : result }));
    } catch (e) {
        process.stdout.write(JSON.stringify({ error: { message: String(e.message), stack: String(e.stack) } }));
    }
});
`;

/** Calls `method(...args)` on the serialized provider in a fresh `node` process. */
export function callSerialized(file: string, method: string, args: unknown[]): Promise<SerializedCallResult> {
    return new Promise((resolve, reject) => {
        // Modules resolve from the project's node_modules, as in Pulumi's provider process.
        const child = spawn(process.execPath, ["-e", CHILD], {
            env: { ...process.env, NODE_PATH: path.join(projectRoot, "node_modules") },
            stdio: ["pipe", "pipe", "pipe"],
        });
        let out = "";
        let err = "";
        child.stdout.on("data", (d) => (out += d));
        child.stderr.on("data", (d) => (err += d));
        child.on("error", reject);
        child.on("exit", (code) => {
            try {
                resolve(JSON.parse(out) as SerializedCallResult);
            } catch {
                reject(new Error(`provider process exited ${code}: ${err.slice(-2000)}`));
            }
        });
        child.stdin.end(JSON.stringify({ file, method, args }));
    });
}
