/**
 * The drift check on demand (e.g. from cron): reads every node's shared settings from its
 * running containers, by digest only, and compares them (components/verify/drift.ts).
 *
 *   npx ts-node --transpile-only scripts/drift-check.ts --stack prod
 *
 * Reads the node list and SSH settings from Pulumi.<stack>.yaml; connects with the host keys the
 * stack verified (~/.harbor-ha/known_hosts/, or $HARBOR_HA_STATE_DIR), never the operator's
 * known_hosts. Exit status: 0 no drift, 1 drift (each node that differs, and in what), 2 a node
 * could not be read. Prints no value, only item names.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { loadClusterSpec } from "../components/config/load";
import { ClusterSpec, NodeSpec } from "../components/config/spec";
import { asRoot } from "../components/scripts/shell";
import { stateDir } from "../components/transport";
import { compareDrift, describeDrift, driftItems, driftScript } from "../components/verify/drift";
import { readStackConfig, readStackConfigViaPulumi, REPO } from "./stack-config";

function readNode(spec: ClusterSpec, stack: string, project: string, n: NodeSpec, text: string): { out: string; error?: string } {
    if (n.transport === "local") {
        const r = spawnSync("sh", ["-c", text], { encoding: "utf8", timeout: 120000 });
        return r.status === 0 ? { out: r.stdout } : { out: "", error: (r.stderr || `exit ${r.status}`).trim().split("\n").pop() };
    }
    const knownHosts = path.join(stateDir(), "known_hosts", `${project}.${stack}.${n.name}`);
    if (!fs.existsSync(knownHosts)) return { out: "", error: `no verified host key in ${knownHosts}: run pulumi up (or preview) once from this machine` };
    const args = ["-p", String(n.sshPort), "-o", "BatchMode=yes", "-o", "ConnectTimeout=15", "-o", "StrictHostKeyChecking=yes", "-o", `UserKnownHostsFile=${knownHosts}`, "-o", "GlobalKnownHostsFile=/dev/null"];
    if (spec.ssh.privateKeyPath) args.push("-i", spec.ssh.privateKeyPath, "-o", "IdentitiesOnly=yes");
    const r = spawnSync("ssh", [...args, `${n.sshUser}@${n.address}`, asRoot(text, n.sshUser)], { encoding: "utf8", timeout: 120000 });
    return r.status === 0 ? { out: r.stdout } : { out: "", error: (r.stderr || `exit ${r.status}`).trim().split("\n").pop() };
}

function main(argv: string[]): number {
    const i = argv.indexOf("--stack");
    const stack = i >= 0 ? argv[i + 1] : undefined;
    if (!stack) {
        console.error("usage: scripts/drift-check.ts --stack <name>   (reads Pulumi.<name>.yaml)");
        return 2;
    }
    // Decrypted through pulumi when it can (a provided TLS key is validated), else the file as is.
    const raw = readStackConfigViaPulumi(stack) ?? readStackConfig(path.join(REPO, `Pulumi.${stack}.yaml`));
    const spec = loadClusterSpec(raw);
    const items = driftItems(spec);
    const byNode: Record<string, string> = {};
    let unreadable = 0;
    for (const n of spec.nodes) {
        const r = readNode(spec, stack, raw.project, n, driftScript(n, items));
        if (r.error) {
            console.log(`${n.name}: could not be read (${r.error})`);
            unreadable++;
            continue;
        }
        byNode[n.name] = r.out;
        const absent = r.out.split("\n").filter((l) => l.endsWith(" absent")).length;
        console.log(`${n.name}: ${items.length - absent} of ${items.length} items read${absent ? ` (${absent} absent: container not running?)` : ""}`);
    }
    const findings = compareDrift(byNode);
    if (findings.length > 0) {
        console.log(`DRIFT: ${describeDrift(findings)}`);
        return 1;
    }
    console.log(`no drift between ${Object.keys(byNode).length} node(s)`);
    return unreadable > 0 ? 2 : 0;
}

if (require.main === module) {
    try {
        process.exit(main(process.argv.slice(2)));
    } catch (e) {
        console.error(`drift-check: ${(e as Error).message}`);
        process.exit(2);
    }
}
