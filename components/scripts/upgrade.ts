/**
 * The one migrator: on the first node, after the backup and the read-only window and before any
 * node of the first wave is drained, one container of the new core image runs
 * `harbor_core -mode=migrate` (src/core/main.go: migrates, then exits 0; a failure exits non-zero
 * with "failed to migrate the database"). Every core of the cluster runs `-mode=skip-migrate`
 * (profiles/v2/core.ts), so this is the only process that ever changes the schema.
 *
 * Its settings are the new core's own environment, on stdin (never in this text); the image's
 * own entrypoint step install_cert.sh runs first, so a private database CA in
 * trustedCaCertificates is trusted as it is by the cores. The container joins Docker's default
 * bridge (the database and Redis are outside the node) and, for dev stacks, the dev services'
 * network; it is removed whatever happens.
 */
import * as path from "path";
import { NodeSpec } from "../config/spec";
import { TRUST_BUNDLE_PATH } from "../profiles/v2/context";
import { coreEntrypoint } from "../profiles/v2/core";
import { q, script } from "./shell";

/** The image's own start (trust bundle, then the core), with the one-shot mode: a core's entrypoint. */
const MIGRATOR = coreEntrypoint("migrate");

/** Separates the env file from the trust bundle on the migrator's stdin. */
export const TRUST_BUNDLE_MARKER = "--harbor-ha-trust-bundle--";
export const MIGRATOR_CONTAINER = "harbor-ha-migrate";

export interface MigrateScriptArgs {
    node: NodeSpec;
    image: string;
    to: string;
    timeoutSeconds: number;
    /** Docker networks to join besides the default bridge. */
    networks: string[];
}

export function migrateScript(a: MigrateScriptArgs): string {
    const n = q(MIGRATOR_CONTAINER);
    const bundle = `"$D/cust/"${q(path.basename(TRUST_BUNDLE_PATH))}`;
    const failed =
        `harbor-ha: the schema migration to ${a.to} failed on ${a.node.name} (exit $rc; its last log lines are above). ` +
        `No core of ${a.to} has started; the old ones keep serving, read-only until this pulumi up ends. ` +
        `The database may be marked dirty: restore the backup taken before this upgrade (README "Upgrading Harbor"), fix the cause, then run pulumi up again.`;
    return script(
        `D=$(mktemp -d); chmod 700 "$D"`,
        `trap 'docker rm -f ${n} >/dev/null 2>&1 || true; rm -rf "$D"' EXIT`,
        `cat > "$D/in"`,
        `sed ${q(`/^${TRUST_BUNDLE_MARKER}$/,$d`)} "$D/in" > "$D/env"`,
        `mkdir "$D/cust"; sed ${q(`1,/^${TRUST_BUNDLE_MARKER}$/d`)} "$D/in" > ${bundle}`,
        `if ! docker image inspect ${q(a.image)} >/dev/null 2>&1; then echo ${q(`harbor-ha: pulling ${a.image} on ${a.node.name}`)}; docker pull -q ${q(a.image)} >/dev/null; fi`,
        `docker rm -f ${n} >/dev/null 2>&1 || true`,
        `docker create --name ${n} --network bridge${a.node.transport === "local" ? " --add-host host.docker.internal:host-gateway" : ""} --env-file "$D/env" ` +
            `--entrypoint ${q(MIGRATOR[0])} ${q(a.image)} ${MIGRATOR.slice(1).map(q).join(" ")} >/dev/null`,
        `if [ -s ${bundle} ]; then docker cp "$D/cust" ${n}:${q(path.dirname(TRUST_BUNDLE_PATH))}; fi`,
        ...a.networks.map((net) => `docker network connect ${q(net)} ${n}`),
        `echo ${q(`harbor-ha: migrating Harbor's schema to ${a.to}: one harbor_core -mode=migrate on ${a.node.name} (at most ${a.timeoutSeconds} s)`)}`,
        `rc=0; timeout ${a.timeoutSeconds} docker start -a ${n} || rc=$?`,
        `if [ "$rc" -ne 0 ]; then echo "${failed.replace(/"/g, '\\"')}" >&2; exit 1; fi`,
        `echo ${q(`harbor-ha: schema migrated to ${a.to}`)}`,
    );
}

/** The migrator's stdin: the core's environment as an env file, then the trust bundle if any. */
export function migratorInput(env: Record<string, string>, trustBundle?: string): string {
    const lines = Object.entries(env)
        // The one-shot serves nothing: beego's app.conf (CONFIG_PATH) is not needed and not there.
        .filter(([k]) => k !== "CONFIG_PATH")
        .map(([k, v]) => {
            if (/[\r\n]/.test(v)) throw new Error(`migrator: core setting ${k} spans lines, which an env file cannot carry (profile bug)`);
            return `${k}=${v}`;
        });
    return lines.join("\n") + "\n" + (trustBundle ? `${TRUST_BUNDLE_MARKER}\n${trustBundle}` : "");
}
