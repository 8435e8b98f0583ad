/**
 * SSH host identity. A pinned `hostKey` is what the remote commands verify (FixedHostKey) and
 * what the Docker provider's ssh is given as its only known host; `strictHostKeyChecking: yes`
 * without one would verify nothing.
 */
import { CheckContext, problem } from "./context";

/** Key types OpenSSH writes into authorized_keys / known_hosts lines. */
const KEY_TYPES = ["ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com"];

/** Why `line` is not "<type> <base64 key>" whose blob names the same type, or undefined. */
export function hostKeyProblem(line: string): string | undefined {
    const [type, blob, ...rest] = line.trim().split(/\s+/);
    if (!KEY_TYPES.includes(type)) return `must start with a key type (${KEY_TYPES.slice(0, 5).join(", ")}, …)`;
    if (!blob || !/^[A-Za-z0-9+/]+={0,2}$/.test(blob)) return "must be \"<type> <base64 key>\" as in known_hosts or `ssh-keyscan` output (without the host name)";
    const bytes = Buffer.from(blob, "base64");
    const len = bytes.length >= 4 ? bytes.readUInt32BE(0) : -1;
    if (len < 0 || 4 + len > bytes.length || bytes.subarray(4, 4 + len).toString() !== type) return `the key data is not a ${type} key`;
    if (rest.length > 1) return "must hold one key only (a trailing comment is fine)";
    return undefined;
}

export function checkSsh(c: CheckContext): void {
    const { p } = c;
    const ssh = p.nodes.filter((n) => n.transport === "ssh");
    p.nodes.forEach((n, i) => {
        if (n.hostKey === undefined) return;
        const why = hostKeyProblem(n.hostKey);
        if (why) problem(c, `nodes[${i}].hostKey`, `${why}; print the right line with scripts/host-keys.sh`);
    });
    if (p.ssh.strictHostKeyChecking === "yes")
        p.nodes.forEach((n, i) => {
            if (n.transport === "ssh" && !n.hostKey)
                problem(c, `nodes[${i}].hostKey`, "missing; ssh.strictHostKeyChecking yes needs every node's key pinned: print the config lines with scripts/host-keys.sh");
        });
    if (ssh.length > 0 && !p.ssh.privateKeyPath && !p.ssh.agent)
        problem(c, "ssh.privateKeyPath", "missing; ssh nodes need a key file path (or ssh.agent: true)");
}
