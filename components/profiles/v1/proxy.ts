/** proxy: the 1.x nginx, the node's entry for the balancers (container ports 80 and 443, as Harbor's compose). */
import { renderTemplate } from "../../render/template";
import { ContainerSpec } from "../types";
import { container, file, health, V1Context } from "./context";

export function v1ProxyPort(https: boolean): number {
    return https ? 443 : 80;
}

export function renderProxy(ctx: V1Context): ContainerSpec {
    const { spec, node, shared, line } = ctx;
    const https = spec.harbor.protocol === "https";
    const ip = node.listenAddress === "0.0.0.0" ? {} : { ip: node.listenAddress };
    const ports = [{ internal: 80, external: node.httpPort, ...ip }];
    if (https) ports.push({ internal: 443, external: node.httpsPort, ...ip });
    const conf = renderTemplate("v1/proxy/nginx.conf.njk", {
        version: spec.harbor.version,
        nodeName: node.name,
        https,
        uiUpstream: `ui:${line.appPort}`,
        v2Upstream: line.v2Upstream === "ui" ? "http://ui/registryproxy/v2/" : "http://registry/v2/",
        redirectPortSuffix: spec.harbor.port === 443 ? "" : `:${spec.harbor.port}`,
    });
    return container(ctx, "proxy", {
        files: [
            file("/etc/nginx/nginx.conf", conf),
            ...(https ? [file("/etc/nginx/cert/server.crt", shared.tlsCertificate), file("/etc/nginx/cert/server.key", shared.tlsPrivateKey, true)] : []),
        ],
        mounts: [],
        ports,
        // The image's own check (make/photon/nginx/Dockerfile); with https, port 80 answers the redirect.
        healthcheck: health("curl --fail -s http://127.0.0.1 || exit 1"),
        after: ["registry", "ui", "log"],
    });
}
