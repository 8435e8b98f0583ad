/**
 * Harbor 1.x release profile (v1.5.x and v1.1.x, the MySQL era): the containers of the
 * release's HA compose file without its bundled MySQL and Redis, built directly, one renderer
 * per component. What differs between the two lines is data in releases.ts.
 */
import { ClusterSpec, NodeSpec } from "../../config/spec";
import { ContainerSpec, SharedValues } from "../types";
import { renderAdminserver } from "./adminserver";
import { v1Context } from "./context";
import { renderJobservice } from "./jobservice";
import { renderLog } from "./log";
import { renderProxy } from "./proxy";
import { renderRegistry } from "./registry";
import { renderUi } from "./ui";

export { v1NodeProbes } from "./probes";

/** Start order: Harbor's compose depends_on. */
const RENDER_ORDER = [renderLog, renderRegistry, renderAdminserver, renderUi, renderJobservice, renderProxy];

export function renderV1Node(spec: ClusterSpec, node: NodeSpec, shared: SharedValues): ContainerSpec[] {
    const ctx = v1Context(spec, node, shared);
    return RENDER_ORDER.map((render) => render(ctx));
}
