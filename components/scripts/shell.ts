/**
 * Small building blocks for the host scripts. Scripts are POSIX sh, idempotent, and never carry
 * a secret: secrets arrive on stdin.
 */

/**
 * POSIX single-quoting: the only form whose meaning is the same in every sh. (shell-quote, tried
 * first, writes `!` as `\!` inside double quotes, which sh keeps literally: it broke `#!/bin/sh`.)
 */
export const q = (s: string | number): string => `'${String(s).replace(/'/g, `'\\''`)}'`;

/** Runs a script as root: directly for root, through non-interactive sudo otherwise. */
export function asRoot(script: string, user: string): string {
    return user === "root" ? script : `sudo -n /bin/sh -c ${q(script)}`;
}

/** Joins script lines under `set -eu` so the first failing step stops the command. */
export function script(...lines: string[]): string {
    return ["set -eu", ...lines].join("\n") + "\n";
}

/** Moves `tmp` over `path` only when the content differs; sets CHANGED=1 when it did. */
function commitTemp(tmp: string, path: string, mode: string, owner: string): string {
    return [
        `chmod ${mode} ${q(tmp)}; chown ${owner} ${q(tmp)}`,
        `if [ -f ${q(path)} ] && cmp -s ${q(tmp)} ${q(path)}; then rm -f ${q(tmp)}; echo ${q(path + ": unchanged")}; ` +
            `else mv -f ${q(tmp)} ${q(path)}; CHANGED=1; echo ${q(path + ": changed")}; fi`,
    ].join("\n");
}

export const dirOf = (path: string) => path.replace(/\/[^/]+$/, "") || "/";

/**
 * Writes stdin to `path` atomically, only when the content differs (so a re-run does not touch
 * the file or its mtime). Prints "<path>: changed|unchanged"; sets CHANGED=1 when it wrote.
 */
export function writeStdinTo(path: string, mode: string, owner = "root:root"): string {
    const tmp = `${path}.harbor-ha-new`;
    return [`install -d -m 0755 ${q(dirOf(path))}`, `( umask 077; cat > ${q(tmp)} )`, commitTemp(tmp, path, mode, owner)].join("\n");
}

/**
 * Writes `content` to `path` only after `checkCommand` (run on a private temporary copy in the
 * same directory; `FILE` in it names the copy) accepts it. On rejection the checker's own
 * reason is shown (its mentions of the copy read as `path`), the file and the running daemon are
 * left as they were, and the script fails. Sets CHANGED=1 when it wrote.
 */
export function writeCheckedContentTo(path: string, content: string, mode: string, checker: string, checkCommand: string): string {
    return [
        `install -d -m 0755 ${q(dirOf(path))}`,
        `T=$(mktemp ${q(`${dirOf(path)}/.harbor-ha-check.XXXXXX`)})`,
        `( umask 077; printf '%s' ${q(content)} > "$T" )`,
        `if ! CHECK_OUT=$(FILE="$T"; ${checkCommand} 2>&1); then`,
        `  echo ${q(`harbor-ha: ${checker} rejected the new ${path}; the file and the running service are unchanged. ${checker} said:`)} >&2`,
        `  printf '%s\\n' "$CHECK_OUT" | sed "s#$T#${path.replace(/#/g, "")}#g" | grep -v '^\\[NOTICE\\]' | tail -n 20 >&2`,
        `  rm -f "$T"; exit 1`,
        `fi`,
        `chmod ${mode} "$T"; chown root:root "$T"`,
        `if [ -f ${q(path)} ] && cmp -s "$T" ${q(path)}; then rm -f "$T"; echo ${q(path + ": unchanged")}; ` +
            `else mv -f "$T" ${q(path)}; CHANGED=1; echo ${q(path + ": changed")}; fi`,
    ].join("\n");
}

/** Same as writeStdinTo for non-secret content carried in the script itself. */
export function writeContentTo(path: string, content: string, mode: string, owner = "root:root"): string {
    const tmp = `${path}.harbor-ha-new`;
    return [`install -d -m 0755 ${q(dirOf(path))}`, `( umask 077; printf '%s' ${q(content)} > ${q(tmp)} )`, commitTemp(tmp, path, mode, owner)].join("\n");
}

/** Installs Debian/RPM packages when a command is missing (VMs may be minimal images). */
export function ensurePackages(probeCommand: string, debPkgs: string[], rpmPkgs: string[] = debPkgs): string {
    return [
        `if ! command -v ${q(probeCommand)} >/dev/null 2>&1; then`,
        `  if command -v apt-get >/dev/null 2>&1; then`,
        `    export DEBIAN_FRONTEND=noninteractive`,
        `    apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends ${debPkgs.map(q).join(" ")} >/dev/null`,
        `  elif command -v dnf >/dev/null 2>&1; then dnf install -y -q ${rpmPkgs.map(q).join(" ")} >/dev/null`,
        `  else echo "harbor-ha: ${probeCommand} is missing and no apt-get/dnf to install it" >&2; exit 1; fi`,
        `fi`,
    ].join("\n");
}
