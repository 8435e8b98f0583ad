// Helpers for the real-engine tests: locate the toolchain that
// scripts/toolchain/install.sh built, check it is complete, and run a fixture
// program with the Automation API against a throwaway file:// backend.
//
// Nothing here downloads: PulumiCommand.get() points at the project's own CLI
// (never PulumiCommand.install()), and automatic plugin acquisition is off.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LocalWorkspace, PulumiCommand, Stack } from "@pulumi/pulumi/automation";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");
export const TOOLCHAIN_ROOT = process.env.HARBOR_HA_TOOLCHAIN ?? path.join(REPO_ROOT, ".toolchain");
export const PULUMI_HOME = path.join(TOOLCHAIN_ROOT, "pulumi-home");
const BIN = path.join(TOOLCHAIN_ROOT, "bin");

const HOW_TO_BUILD =
    "Build it with `scripts/toolchain/install.sh` (see docs/toolchain.md); its summary says what is missing and why. " +
    "Set HARBOR_HA_ENGINE_TESTS=skip to skip the engine tests explicitly.";

/** The version the npm SDK asks for, read from node_modules (package.json `pulumi.version`). */
export function requestedPluginVersion(name: string): string {
    const pkg = JSON.parse(
        fs.readFileSync(path.join(REPO_ROOT, "node_modules", "@pulumi", name, "package.json"), "utf8"),
    );
    const version = pkg.pulumi?.version;
    if (!version) {
        throw new Error(`@pulumi/${name} in node_modules has no pulumi.version field`);
    }
    return version;
}

export function pulumiSdkVersion(): string {
    return JSON.parse(
        fs.readFileSync(path.join(REPO_ROOT, "node_modules", "@pulumi", "pulumi", "package.json"), "utf8"),
    ).version;
}

/** The status lines install.sh wrote, or a note that it never ran. */
function installStatus(): string {
    const file = path.join(TOOLCHAIN_ROOT, "status.txt");
    return fs.existsSync(file)
        ? `install.sh status (${file}):\n${fs.readFileSync(file, "utf8")}`
        : `${file} does not exist: install.sh has not run here.`;
}

export interface ToolchainInfo {
    cliVersion: string;
    /** The language host's status line from install.sh ("ok" or "fallback ..."). */
    languageHost: string;
}

/**
 * Throws, with a message that says how to build the toolchain, unless the CLI,
 * the language host, the dynamic-provider host and every listed plugin (at
 * the version its SDK requests) are in place.
 */
export function requireToolchain(plugins: string[]): ToolchainInfo {
    const problems: string[] = [];
    const pulumi = path.join(BIN, "pulumi");
    let cliVersion = "";
    if (!fs.existsSync(pulumi)) {
        problems.push(`no Pulumi CLI at ${pulumi}`);
    } else {
        cliVersion = execFileSync(pulumi, ["version"], { env: engineEnv(), encoding: "utf8" }).trim();
        if (cliVersion !== `v${pulumiSdkVersion()}`) {
            problems.push(`${pulumi} is ${cliVersion}, @pulumi/pulumi in node_modules is ${pulumiSdkVersion()}`);
        }
    }
    const hostStatus = statusLine("pulumi-language-nodejs");
    if (hostStatus.startsWith("missing")) {
        problems.push(`install.sh could not provide the Node.js language host: ${hostStatus}`);
    }
    for (const exe of ["pulumi-language-nodejs", "pulumi-resource-pulumi-nodejs"]) {
        if (!fs.existsSync(path.join(BIN, exe))) {
            problems.push(`no ${exe} in ${BIN}`);
        }
    }
    for (const name of plugins) {
        const version = requestedPluginVersion(name);
        const plugin = path.join(PULUMI_HOME, "plugins", `resource-${name}-v${version}`, `pulumi-resource-${name}`);
        if (!fs.existsSync(plugin)) {
            problems.push(`resource plugin ${name} v${version} (requested by @pulumi/${name}) is not registered: no ${plugin}`);
        }
    }
    if (problems.length > 0) {
        throw new Error(
            `The Pulumi toolchain is not complete:\n  - ${problems.join("\n  - ")}\n${HOW_TO_BUILD}\n${installStatus()}`,
        );
    }
    return { cliVersion, languageHost: hostStatus };
}

/** install.sh's status for one component ("ok ...", "fallback ...", "missing ..."), or "". */
function statusLine(component: string): string {
    const file = path.join(TOOLCHAIN_ROOT, "status.txt");
    if (!fs.existsSync(file)) return "";
    const line = fs.readFileSync(file, "utf8").split("\n").find((l) => l.startsWith(`${component} `)) ?? "";
    return line.slice(component.length).trim();
}

/**
 * Plugins that install.sh recorded as unobtainable because the Go module proxy refuses the
 * pinned module version ("403 ... not available"): a fact of this network, not a build bug.
 * Returns "<name>: <status>" lines; empty when every plugin is either present or merely unbuilt.
 */
export function pluginsRefusedByProxy(plugins: string[]): string[] {
    return plugins
        .map((name) => [name, statusLine(`resource-${name}`)] as const)
        .filter(([, st]) => st.startsWith("missing") && /not available|403 Forbidden/.test(st))
        .map(([name, st]) => `${name}: ${st}`);
}

/** True when the engine tests were switched off on purpose (never implicitly). */
export function engineTestsSkipped(): boolean {
    return process.env.HARBOR_HA_ENGINE_TESTS === "skip";
}

/** Environment for every engine process: no downloads, project-local plugins. */
export function engineEnv(extra: Record<string, string> = {}): Record<string, string> {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) {
        if (v !== undefined) env[k] = v;
    }
    return {
        ...env,
        PATH: `${BIN}${path.delimiter}${process.env.PATH ?? ""}`,
        PULUMI_HOME,
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        PULUMI_IGNORE_AMBIENT_PLUGINS: "true",
        PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
        ...extra,
    };
}

export interface ScratchStack {
    stack: Stack;
    /** Throwaway dir: program/, backend/ (the file:// state) and out/ (for the program's files). */
    dir: string;
    programDir: string;
    backendDir: string;
    outDir: string;
    cleanup(): void;
}

/**
 * Copies the fixture program into a temp dir (node_modules linked to the
 * repo's), and creates a stack on a file:// backend there with a passphrase
 * secrets provider.
 */
export async function scratchStack(fixture: string, stackName = "smoke"): Promise<ScratchStack> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "harbor-ha-engine-"));
    const programDir = path.join(dir, "program");
    const backendDir = path.join(dir, "backend");
    const outDir = path.join(dir, "out");
    fs.mkdirSync(backendDir);
    fs.mkdirSync(outDir);
    fs.cpSync(path.join(__dirname, "fixtures", fixture), programDir, { recursive: true });
    fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(programDir, "node_modules"), "dir");
    fs.writeFileSync(
        path.join(programDir, "package.json"),
        JSON.stringify({ name: `harbor-ha-engine-${fixture}`, private: true, main: "index.ts" }, null, 2),
    );

    const envVars = engineEnv({
        PULUMI_BACKEND_URL: `file://${backendDir}`,
        PULUMI_CONFIG_PASSPHRASE: `smoke-passphrase-${path.basename(dir)}`,
    });
    const pulumiCommand = await PulumiCommand.get({ root: TOOLCHAIN_ROOT, skipVersionCheck: true });
    const stack = await LocalWorkspace.createStack(
        { stackName, workDir: programDir },
        { pulumiCommand, envVars, pulumiHome: PULUMI_HOME, secretsProvider: "passphrase" },
    );
    return {
        stack,
        dir,
        programDir,
        backendDir,
        outDir,
        cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
    };
}

/** Every file under the backend dir (state, backups, history), concatenated. */
export function readAllState(backendDir: string): string {
    const parts: string[] = [];
    const walk = (d: string) => {
        for (const e of fs.readdirSync(d, { withFileTypes: true })) {
            const p = path.join(d, e.name);
            if (e.isDirectory()) walk(p);
            else parts.push(fs.readFileSync(p, "utf8"));
        }
    };
    walk(backendDir);
    return parts.join("\n");
}

/** The path of the stack's current state file. */
export function stateFile(backendDir: string, project: string, stack: string): string {
    return path.join(backendDir, ".pulumi", "stacks", project, `${stack}.json`);
}

/** Change counts other than "same" from an update summary (empty when nothing changed). */
export function nonSameChanges(changes: Record<string, number> | undefined): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [op, n] of Object.entries(changes ?? {})) {
        if (op !== "same" && n > 0) out[op] = n;
    }
    return out;
}

/**
 * The project's own program (Pulumi.yaml, index.ts, components/, templates/) in a throwaway
 * directory of links, with a stack on a file:// backend there: the stack's config file is
 * written beside the links, never into the repository.
 */
export async function projectStack(stackName: string): Promise<ScratchStack> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "harbor-ha-project-"));
    const programDir = path.join(dir, "program");
    const backendDir = path.join(dir, "backend");
    const outDir = path.join(dir, "out");
    for (const d of [programDir, backendDir, outDir]) fs.mkdirSync(d);
    for (const entry of ["Pulumi.yaml", "index.ts", "package.json", "tsconfig.json", "components", "templates", "node_modules"])
        fs.symlinkSync(path.join(REPO_ROOT, entry), path.join(programDir, entry));
    const envVars = engineEnv({ PULUMI_BACKEND_URL: `file://${backendDir}`, PULUMI_CONFIG_PASSPHRASE: `project-${path.basename(dir)}` });
    const pulumiCommand = await PulumiCommand.get({ root: TOOLCHAIN_ROOT, skipVersionCheck: true });
    const stack = await LocalWorkspace.createStack({ stackName, workDir: programDir }, { pulumiCommand, envVars, pulumiHome: PULUMI_HOME, secretsProvider: "passphrase" });
    return { stack, dir, programDir, backendDir, outDir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
