/**
 * Everything that must be identical on every node, generated once per stack: the token-signing
 * key pair, Harbor's AES secretkey, the CSRF key, the internal shared secrets, the registry
 * credential (+ its bcrypt htpasswd line) and the initial admin password. Adding or removing a
 * node never touches these; rotation is an explicit `pulumi up --replace <urn>` (README).
 */
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as tls from "@pulumi/tls";
import { REGISTRY_USER } from "./profiles/v2";
import { registryHtpasswdLine } from "./registry-htpasswd";

export interface ClusterSecretsArgs {
    /** Explicit providers (default providers are disabled for the stack). */
    randomProvider: random.Provider;
    tlsProvider: tls.Provider;
}

export class ClusterSecrets extends pulumi.ComponentResource {
    /** PKCS#1 PEM RSA-4096 key that signs registry bearer tokens (secret). */
    public readonly tokenPrivateKey: pulumi.Output<string>;
    /** Self-signed certificate for the token key (public). */
    public readonly tokenCertificate: pulumi.Output<string>;
    /** 16 chars, no trailing newline (AES key). */
    public readonly secretKey: pulumi.Output<string>;
    public readonly csrfKey: pulumi.Output<string>;
    public readonly coreSecret: pulumi.Output<string>;
    public readonly jobserviceSecret: pulumi.Output<string>;
    public readonly registryHttpSecret: pulumi.Output<string>;
    public readonly registryPassword: pulumi.Output<string>;
    public readonly registryHtpasswd: pulumi.Output<string>;
    public readonly adminPassword: pulumi.Output<string>;

    constructor(name: string, args: ClusterSecretsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("harbor-ha:secrets:ClusterSecrets", name, {}, opts);
        const r = { parent: this, provider: args.randomProvider };
        const t = { parent: this, provider: args.tlsProvider };
        // Letters and digits only: these values end up in env files, YAML and URLs.
        const alnum = (part: string, length: number) =>
            new random.RandomPassword(`${name}-${part}`, { length, special: false }, r);
        // The providers mark these outputs secret too; marking them here keeps that true whatever the provider does.
        const secret = (o: pulumi.Output<string>) => pulumi.secret(o);

        const tokenKey = new tls.PrivateKey(`${name}-token-key`, { algorithm: "RSA", rsaBits: 4096 }, t);
        const tokenCert = new tls.SelfSignedCert(
            `${name}-token-cert`,
            {
                privateKeyPem: tokenKey.privateKeyPem,
                subject: { commonName: "harbor-token-issuer" },
                validityPeriodHours: 24 * 3650,
                allowedUses: ["digital_signature", "key_encipherment", "cert_signing"],
                isCaCertificate: true,
            },
            t,
        );
        this.tokenPrivateKey = pulumi.secret(tokenKey.privateKeyPem);
        this.tokenCertificate = tokenCert.certPem;

        this.secretKey = secret(alnum("secretkey", 16).result);
        this.csrfKey = secret(alnum("csrf-key", 32).result);
        this.coreSecret = secret(alnum("core-secret", 32).result);
        this.jobserviceSecret = secret(alnum("jobservice-secret", 32).result);
        this.registryHttpSecret = secret(alnum("registry-http-secret", 32).result);
        const registry = alnum("registry-password", 32);
        this.registryPassword = secret(registry.result);
        this.registryHtpasswd = pulumi.secret(registry.result.apply((pw) => registryHtpasswdLine(REGISTRY_USER, pw)));
        // Harbor wants 8-128 chars with upper, lower and a digit.
        this.adminPassword = secret(new random.RandomPassword(
            `${name}-admin-password`,
            { length: 24, special: false, minUpper: 2, minLower: 2, minNumeric: 2 },
            r,
        ).result);

        this.registerOutputs({ tokenCertificate: this.tokenCertificate });
    }
}
