/** portal: the UI's static files behind its own nginx. */
import { renderTemplate } from "../../render/template";
import { ContainerSpec } from "../types";
import { container, file, health, V2Context } from "./context";

export function renderPortal(ctx: V2Context): ContainerSpec {
    return container(ctx, "portal", {
        files: [file("/etc/nginx/nginx.conf", renderTemplate("v2/portal/nginx.conf.njk", {}))],
        mounts: [],
        ports: [],
        healthcheck: health("curl --fail -s http://localhost:8080 || exit 1"),
        after: ["log"],
    });
}
