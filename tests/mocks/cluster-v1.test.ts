/**
 * L1: a three-node Harbor 1.5 stack (and a 1.1 one) under pulumi.runtime.setMocks.
 * Mocked: the Pulumi engine and every provider (no SSH, no Docker, no MySQL). Real: all program code.
 */
import * as assert from "assert";
import { raw, SECRET_VALUES, v1Config } from "../support/fixtures";
import { CapturedResource, evaluateCluster, Evaluation, isSecret } from "../support/mock-capture";

const CONTAINER = "docker:index/container:Container";
const env = (c: CapturedResource) => Object.fromEntries((c.inputs.envs as string[]).map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
const upload = (c: CapturedResource, path: string) => (c.inputs.uploads as { file: string; content: string }[]).find((u) => u.file === path)?.content;
const nodes = ["node1", "node2", "node3"];

for (const version of ["v1.5.4", "v1.1.2"]) {
    describe(`L1 Harbor ${version} cluster under mocks (3 nodes, external MySQL)`, function () {
        this.timeout(60000);
        let ev: Evaluation;
        const container = (node: string, comp: string) => ev.one(CONTAINER, `${node}-harbor-${comp}`);
        before(async () => {
            ev = await evaluateCluster(raw(v1Config(version)));
        });

        it("runs log, registry, adminserver, ui, jobservice and proxy on every node, and no database or Redis container", () => {
            const harbor = ev.byType(CONTAINER).map((c) => c.name).filter((n) => /^node\d-harbor-/.test(n));
            for (const n of nodes)
                assert.deepStrictEqual(harbor.filter((x) => x.startsWith(`${n}-`)).sort(), ["adminserver", "jobservice", "log", "proxy", "registry", "ui"].map((c) => `${n}-harbor-${c}`));
            assert.ok(!ev.byType(CONTAINER).some((c) => /mysql|mariadb|redis|db$/.test(c.name)), "no bundled data service");
        });

        it("fans out one secretkey, private_key.pem, root.crt and UI/jobservice secrets to every node", () => {
            const same = (f: (n: string) => unknown, what: string) => {
                const vals = nodes.map(f);
                assert.ok(vals[0] !== undefined && vals[0] !== "", `${what} is empty`);
                assert.ok(vals.every((v) => v === vals[0]), `${what} differs between nodes`);
            };
            same((n) => upload(container(n, "ui"), "/etc/ui/private_key.pem"), "token private key");
            same((n) => upload(container(n, "registry"), "/etc/registry/root.crt"), "root.crt");
            for (const comp of ["adminserver", "ui", "jobservice"]) {
                same((n) => upload(container(n, comp), `/etc/${comp}/key`), `${comp} secretkey`);
                same((n) => env(container(n, comp)).UI_SECRET, `${comp} UI_SECRET`);
                same((n) => env(container(n, comp)).JOBSERVICE_SECRET, `${comp} JOBSERVICE_SECRET`);
            }
            assert.strictEqual(upload(container("node1", "ui"), "/etc/ui/key")!.length, 16);
            assert.strictEqual(upload(container("node2", "adminserver"), "/etc/adminserver/key"), upload(container("node3", "ui"), "/etc/ui/key"));
            assert.match(upload(container("node1", "ui"), "/etc/ui/private_key.pem")!, /BEGIN RSA PRIVATE KEY/);
        });

        it("gives adminserver the external MySQL and RESET=true, and ui its Redis sessions", () => {
            for (const n of nodes) {
                const a = env(container(n, "adminserver"));
                assert.deepStrictEqual([a.DATABASE_TYPE, a.MYSQL_HOST, a.MYSQL_PORT, a.MYSQL_USR, a.MYSQL_DATABASE, a.RESET], ["mysql", "10.20.0.6", "3306", "harbor", "registry", "true"]);
                assert.ok(a.MYSQL_PWD.length >= 16, "the provisioned Harbor password");
                assert.strictEqual(env(container(n, "ui"))._REDIS_URL, `10.20.0.7:6379,100,${SECRET_VALUES.redisPassword},0`);
            }
        });

        it("keeps every secret env value secret in state", async () => {
            const c = container("node1", "adminserver");
            const envs = c.rawProps.envs as unknown[];
            const keys = (c.inputs.envs as string[]).map((e) => e.slice(0, e.indexOf("=")));
            for (const k of ["MYSQL_PWD", "HARBOR_ADMIN_PASSWORD", "UI_SECRET", "JOBSERVICE_SECRET"]) assert.ok(await isSecret(envs[keys.indexOf(k)]), k);
            assert.ok(!(await isSecret(envs[keys.indexOf("MYSQL_HOST")])), "plain settings stay readable in the diff");
        });

        it("starts the registry as that tag's compose file does (serve /etc/registry/config.yml), the others with their image's command", () => {
            for (const n of nodes) {
                assert.deepStrictEqual(container(n, "registry").inputs.command, ["serve", "/etc/registry/config.yml"]);
                for (const comp of ["log", "adminserver", "ui", "jobservice", "proxy"]) assert.strictEqual(container(n, comp).inputs.command, undefined, `${n} ${comp}`);
            }
        });

        it("stores blobs on the CephFS registry directory and logs per node", () => {
            for (const n of nodes) {
                assert.deepStrictEqual(container(n, "registry").inputs.mounts.map((m: { source: string; target: string }) => [m.source, m.target]), [["/mnt/harbor/registry", "/storage"]]);
                assert.strictEqual(container(n, "log").inputs.mounts[0].source, `/mnt/harbor/logs/${n}`);
            }
        });

        it("provisions the MySQL database as root and loads the schema through the import", () => {
            const db = ev.resources.find((r) => r.name.endsWith("-database-db"));
            const imp = ev.resources.find((r) => r.name.endsWith("-database-import"));
            assert.ok(db && imp, "HarborDatabase and DatabaseDumpImport declared");
            assert.strictEqual(db!.inputs.server.engine, "mysql");
            assert.strictEqual(db!.inputs.adminUser, "root");
            assert.strictEqual(imp!.inputs.path, "/srv/harbor/registry.sql");
        });

        it("declares no canary (1.x has no robot accounts) and creates containers without capability changes", () => {
            assert.ok(!ev.resources.some((r) => /canary/.test(r.name)), "no canary resources");
            for (const n of nodes) assert.strictEqual(container(n, "ui").inputs.capabilities, undefined);
        });
    });
}
