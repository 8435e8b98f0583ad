/**
 * log: the node's rsyslog sink, writing every component's output to the node's own log directory
 * on CephFS. 1.5's image rotates with logrotate (our logrotate.conf); 1.1's rotates weekly by itself.
 */
import { renderTemplate } from "../../render/template";
import { ContainerSpec } from "../types";
import { container, file, health, V1Context } from "./context";

export function renderLog(ctx: V1Context): ContainerSpec {
    const { spec, line, node } = ctx;
    const v15 = line.id === "v1.5";
    const rotate = v15
        ? [file("/etc/logrotate.d/logrotate.conf", renderTemplate("v2/log/logrotate.conf.njk", { rotateCount: spec.harbor.logRotateCount, rotateSize: spec.harbor.logRotateSize }))]
        : [];
    // Same logrotate rules as 2.x (make/common/templates/log/logrotate.conf). 1.5's image checks with netstat; 1.1's has no check and no netstat: read the listening UDP socket.
    const hex = line.logPort.toString(16).toUpperCase().padStart(4, "0");
    const check = v15 ? `netstat -ltu | grep ${line.logPort}` : `grep -q ':${hex} 00000000:0000' /proc/net/udp`;
    return container(ctx, "log", {
        files: rotate,
        mounts: [{ source: ctx.paths.logs, target: "/var/log/docker", readOnly: false }],
        ports: [{ internal: line.logPort, external: node.syslogPort, ip: "127.0.0.1", protocol: "udp" }],
        healthcheck: { ...health(check), startPeriod: "5s" },
        after: [],
    });
}
