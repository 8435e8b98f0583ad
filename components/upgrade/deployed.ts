/**
 * The stack's own previous outputs, read at program start through a StackReference to itself:
 * the only record of "what is deployed" the program can see before it declares anything (a
 * resource's old state reaches only its own provider). `harborVersion` is exported only once the
 * last wave of an upgrade is healthy (cluster.ts), so a failed upgrade leaves the old value.
 */
import * as pulumi from "@pulumi/pulumi";
import type { DeployedRelease } from "./plan";

/** Output names the program exports and reads back. */
export const DEPLOYED_VERSION_OUTPUT = "harborVersion";
const ANY_OUTPUT = "externalUrl";

export async function readDeployedRelease(): Promise<DeployedRelease> {
    const name = `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`;
    const self = new pulumi.StackReference(`harbor-ha-deployed`, { name });
    const [version, any] = await Promise.all([self.getOutputDetails(DEPLOYED_VERSION_OUTPUT), self.getOutputDetails(ANY_OUTPUT)]);
    const text = (d: pulumi.StackReferenceOutputDetails) => (typeof d.value === "string" ? d.value : undefined);
    return { deployed: text(any) !== undefined || text(version) !== undefined, version: text(version) };
}
