/** proxy: Harbor's nginx, the node's entry for the balancers (http on 8080, https on 8443). */
import { renderTemplate } from "../../render/template";
import { ContainerSpec } from "../types";
import { container, file, health, V2Context } from "./context";

export function renderProxy(ctx: V2Context): ContainerSpec {
    const { spec, node, shared } = ctx;
    const https = spec.harbor.protocol === "https";
    // No ip for 0.0.0.0 (Docker's default): the render, and so the node fingerprint, of existing stacks stays as it was.
    const ip = node.listenAddress === "0.0.0.0" ? {} : { ip: node.listenAddress };
    const ports = [{ internal: 8080, external: node.httpPort, ...ip }];
    if (https) ports.push({ internal: 8443, external: node.httpsPort, ...ip });
    const conf = renderTemplate("v2/proxy/nginx.conf.njk", {
        nodeName: node.name,
        https,
        coreUpstream: "core:8080",
        portalUpstream: "portal:8080",
        redirectPortSuffix: spec.harbor.port === 443 ? "" : `:${spec.harbor.port}`,
    });
    return container(ctx, "proxy", {
        files: [
            file("/etc/nginx/nginx.conf", conf),
            ...(https ? [file("/etc/cert/server.crt", shared.tlsCertificate), file("/etc/cert/server.key", shared.tlsPrivateKey, true)] : []),
        ],
        mounts: [],
        ports,
        healthcheck: health("curl --fail -s http://localhost:8080 || exit 1"),
        after: ["registry", "core", "portal"],
    });
}
