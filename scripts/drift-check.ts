/**
 * The drift check on demand (e.g. from cron): reads every node's shared settings from its
 * running containers, by digest only, and compares them (components/verify/drift.ts).
 *
 *   npx ts-node --transpile-only scripts/drift-check.ts --stack prod
 *   npx ts-node --transpile-only scripts/drift-check.ts --stack dev --stack-config Pulumi.dev.yaml
 *
 * Reads the node list and SSH settings through `pulumi config` (or, with --stack-config, from that
 * file as it is: the dev stack, whose salt is not in the tracked file); connects with the host keys the
 * stack verified (~/.harbor-ha/known_hosts/, or $HARBOR_HA_STATE_DIR), never the operator's
 * known_hosts. Exit status: 0 no drift, 1 drift (each node that differs, and in what), 2 a node
 * could not be read. Prints no value, only item names.
 */
import * as path from "path";
import { loadClusterSpec } from "../components/config/load";
import { knownHostsFile } from "../components/transport";
import { compareDrift, describeDrift, driftItems, driftScript } from "../components/verify/drift";
import { readDigests } from "../components/verify/drift-read";
import { readStackConfig, readStackConfigViaPulumi, REPO } from "./stack-config";

function main(argv: string[]): number {
    const i = argv.indexOf("--stack");
    const stack = i >= 0 ? argv[i + 1] : undefined;
    if (!stack) {
        console.error("usage: scripts/drift-check.ts --stack <name>   (reads Pulumi.<name>.yaml)");
        return 2;
    }
    // Decrypted through pulumi when it can (a provided TLS key is validated), else the file as is.
    const j = argv.indexOf("--stack-config");
    const raw = j >= 0 ? readStackConfig(path.resolve(argv[j + 1])) : readStackConfigViaPulumi(stack) ?? readStackConfig(path.join(REPO, `Pulumi.${stack}.yaml`));
    const spec = loadClusterSpec(raw);
    const items = driftItems(spec);
    const byNode: Record<string, string> = {};
    let unreadable = 0;
    for (const n of spec.nodes) {
        const r = readDigests({
            name: n.name, transport: n.transport, address: n.address, sshPort: n.sshPort, sshUser: n.sshUser,
            knownHosts: knownHostsFile(raw.project, stack, n.name), privateKeyPath: spec.ssh.privateKeyPath, script: driftScript(n, items),
        });
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
