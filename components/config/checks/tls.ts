/**
 * Certificates: parsed, not pattern-matched. A provided certificate must be current, carry the
 * name clients use, and match its key; the renewal window must fit inside the validity, or every
 * `up` would replace every certificate.
 */
import { createPrivateKey, X509Certificate } from "crypto";
import { CheckContext, isIp, isSet, problem } from "./context";

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** Why `text` is not one or more PEM certificates (and nothing else), or undefined. */
export function pemCertificatesProblem(text: string): string | undefined {
    const blocks = text.match(PEM_CERT) ?? [];
    if (blocks.length === 0) return "holds no PEM certificate (no BEGIN CERTIFICATE ... END CERTIFICATE block)";
    const rest = blocks.reduce((t, b) => t.replace(b, ""), text);
    if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(rest)) return "holds a private key; only certificates belong here";
    if (rest.trim() !== "") return "holds text outside the PEM certificate blocks";
    for (const [i, b] of blocks.entries()) {
        try {
            new X509Certificate(b);
        } catch {
            return `certificate ${i + 1} of ${blocks.length} does not parse as X.509`;
        }
    }
    return undefined;
}

const firstCert = (text: string) => new X509Certificate(text.match(PEM_CERT)![0]);

function checkProvided(c: CheckContext): void {
    const certText = c.raw.values[`${c.project}:tlsCertificate`];
    const keyText = c.raw.values[`${c.project}:tlsPrivateKey`];
    if (certText === undefined) return; // reported as missing elsewhere
    const why = pemCertificatesProblem(certText);
    if (why) return problem(c, "tlsCertificate", `${why}; set the server certificate chain: \`pulumi config set tlsCertificate -- "$(cat server.crt)"\``);
    const cert = firstCert(certText);
    const host = c.p.harbor.hostname;
    const covers = isIp(host) ? cert.checkIP(host) !== undefined : cert.checkHost(host) !== undefined;
    if (!covers) problem(c, "tlsCertificate", `does not cover harbor.hostname ${host} (subject alternative names: ${cert.subjectAltName ?? "none"}); issue it for that name`);
    if (Date.parse(cert.validTo) <= Date.now()) problem(c, "tlsCertificate", `expired on ${cert.validTo}; renew it`);
    if (Date.parse(cert.validFrom) > Date.now()) problem(c, "tlsCertificate", `is not valid before ${cert.validFrom}; check the issuing machine's clock`);
    if (keyText !== undefined) {
        let key;
        try {
            key = createPrivateKey(keyText);
        } catch {
            return problem(c, "tlsPrivateKey", "is not a PEM private key (unencrypted PKCS#1, PKCS#8 or SEC1)");
        }
        if (!cert.checkPrivateKey(key)) problem(c, "tlsPrivateKey", "does not belong to tlsCertificate (the first certificate of the chain); set the key the certificate was issued for");
    }
}

export function checkTls(c: CheckContext): void {
    const t = c.p.tls;
    if (t.earlyRenewalDays >= t.validityDays)
        problem(c, "tls.earlyRenewalDays", `${t.earlyRenewalDays} is not less than tls.validityDays (${t.validityDays}); every up would replace every certificate: keep it well below, e.g. 30 with 825`);
    if (isSet(c, "tlsCaCertificate")) {
        const why = pemCertificatesProblem(c.raw.values[`${c.project}:tlsCaCertificate`]);
        if (why) problem(c, "tlsCaCertificate", why);
    }
    const trusted = c.raw.values[`${c.project}:trustedCaCertificates`];
    if (trusted !== undefined) {
        const why = pemCertificatesProblem(trusted);
        if (why) problem(c, "trustedCaCertificates", `${why}; set it with \`pulumi config set trustedCaCertificates -- "$(cat ca1.crt ca2.crt)"\``);
    }
    if (c.p.harbor.protocol === "http") {
        if (t.mode === "provided") problem(c, "tls.mode", `"provided" has no effect with harbor.protocol http; remove it or use https`);
        return;
    }
    if (t.mode === "provided") {
        if (!isSet(c, "tlsCertificate")) problem(c, "tlsCertificate", `missing; tls.mode provided needs the PEM chain: \`pulumi config set tlsCertificate -- "$(cat server.crt)"\``);
        if (!isSet(c, "tlsPrivateKey")) problem(c, "tlsPrivateKey", `missing; run \`pulumi config set --secret tlsPrivateKey -- "$(cat server.key)"\``);
        checkProvided(c);
    } else {
        for (const k of ["tlsCertificate", "tlsPrivateKey", "tlsCaCertificate"])
            if (isSet(c, k)) problem(c, k, `is ignored with tls.mode generated (the program issues the certificates); remove it (\`pulumi config rm ${k}\`) or set tls.mode: provided`);
    }
}
