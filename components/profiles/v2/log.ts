/** log: the node's rsyslog sink; every other component's output lands in its log directory. */
import { renderTemplate } from "../../render/template";
import { ContainerSpec } from "../types";
import { container, file, health, V2Context } from "./context";

export function renderLog(ctx: V2Context): ContainerSpec {
    const h = ctx.spec.harbor;
    return container(ctx, "log", {
        files: [
            file("/etc/rsyslog.d/rsyslog_docker.conf", renderTemplate("v2/log/rsyslog_docker.conf.njk", {})),
            file("/etc/logrotate.d/logrotate.conf", renderTemplate("v2/log/logrotate.conf.njk", { rotateCount: h.logRotateCount, rotateSize: h.logRotateSize })),
        ],
        mounts: [{ source: ctx.paths.logs, target: "/var/log/docker", readOnly: false }],
        // Loopback only: the other containers log through the host's port mapping.
        ports: [{ internal: 10514, external: ctx.node.syslogPort, ip: "127.0.0.1", protocol: "udp" }],
        healthcheck: { ...health("netstat -ltun | grep 10514"), startPeriod: "5s" },
        after: [],
    });
}
