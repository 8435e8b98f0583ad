/**
 * The certificate clients see. Either the user's own (config secrets, same on every node) or a
 * generated CA plus one server certificate per node whose SANs cover the external hostname, the
 * VIP, that node's address and loopback (for local health checks). Per-node leaves mean adding a
 * node signs one new certificate and leaves every existing node untouched.
 */
import * as ipaddr from "ipaddr.js";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { NodeSpec, TlsSpec } from "./config/spec";

export interface EndpointTlsArgs {
    tls: TlsSpec;
    /** Key given with `pulumi config set --secret tlsPrivateKey` (mode provided). */
    providedKey?: pulumi.Output<string>;
    hostname: string;
    vip?: string;
    nodes: NodeSpec[];
    tlsProvider: tls.Provider;
}

export interface NodeCertificate {
    certificate: pulumi.Output<string>;
    privateKey: pulumi.Output<string>;
}

const isIp = (s: string) => ipaddr.IPv4.isValidFourPartDecimal(s);

export class EndpointTls extends pulumi.ComponentResource {
    /** CA to trust (generated CA, or the provided CA/chain); public. */
    public readonly caCertificate: pulumi.Output<string>;
    /** Per node name. */
    public readonly nodeCertificates: Record<string, NodeCertificate> = {};

    constructor(name: string, args: EndpointTlsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("harbor-ha:tls:EndpointTls", name, {}, opts);
        const t = { parent: this, provider: args.tlsProvider };
        const hours = args.tls.validityDays * 24;
        const early = args.tls.earlyRenewalDays * 24;

        if (args.tls.mode === "provided") {
            if (!args.tls.certificate || !args.providedKey) throw new Error("EndpointTls: provided mode needs tlsCertificate and tlsPrivateKey");
            this.caCertificate = args.tls.caCertificate ?? args.tls.certificate;
            for (const n of args.nodes) this.nodeCertificates[n.name] = { certificate: args.tls.certificate, privateKey: pulumi.secret(args.providedKey) };
            this.registerOutputs({ caCertificate: this.caCertificate });
            return;
        }

        const caKey = new tls.PrivateKey(`${name}-ca-key`, { algorithm: "RSA", rsaBits: 4096 }, t);
        const ca = new tls.SelfSignedCert(
            `${name}-ca`,
            {
                privateKeyPem: caKey.privateKeyPem,
                subject: { commonName: `${args.hostname} harbor-ha CA`, organization: "harbor-ha" },
                isCaCertificate: true,
                validityPeriodHours: 24 * 3650,
                allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
            },
            t,
        );
        this.caCertificate = ca.certPem;

        for (const n of args.nodes) {
            const key = new tls.PrivateKey(`${name}-${n.name}-key`, { algorithm: "RSA", rsaBits: 2048 }, t);
            const names = [args.hostname, n.address];
            const csr = new tls.CertRequest(
                `${name}-${n.name}-csr`,
                {
                    privateKeyPem: key.privateKeyPem,
                    subject: { commonName: args.hostname, organization: "harbor-ha" },
                    dnsNames: [...new Set(names.filter((x) => !isIp(x)).concat("localhost"))],
                    ipAddresses: [...new Set([...names.filter(isIp), ...(args.vip ? [args.vip] : []), "127.0.0.1"])],
                },
                t,
            );
            const cert = new tls.LocallySignedCert(
                `${name}-${n.name}-cert`,
                {
                    certRequestPem: csr.certRequestPem,
                    caPrivateKeyPem: caKey.privateKeyPem,
                    caCertPem: ca.certPem,
                    validityPeriodHours: hours,
                    earlyRenewalHours: early,
                    allowedUses: ["digital_signature", "key_encipherment", "server_auth"],
                },
                t,
            );
            // Serve the chain so clients that trust only the CA can verify.
            this.nodeCertificates[n.name] = {
                certificate: pulumi.interpolate`${cert.certPem}${ca.certPem}`,
                privateKey: pulumi.secret(key.privateKeyPem),
            };
        }
        this.registerOutputs({ caCertificate: this.caCertificate });
    }
}
