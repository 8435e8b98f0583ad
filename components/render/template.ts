/**
 * The one place templates are rendered. Nunjucks (Jinja syntax, the same family as Harbor's own
 * templates); undefined variables throw so a missing value cannot render as an empty string.
 * YAML files are not templated: they are built as objects and serialized with the yaml library.
 */
import * as path from "path";
import * as nunjucks from "nunjucks";
import * as YAML from "yaml";

export const templatesDir = path.resolve(__dirname, "..", "..", "templates");

const env = new nunjucks.Environment(new nunjucks.FileSystemLoader(templatesDir, { noCache: false }), {
    autoescape: false,
    throwOnUndefined: true,
    trimBlocks: true,
    lstripBlocks: true,
});

/** Renders templates/<relPath> with the given variables. */
export function renderTemplate(relPath: string, vars: object): string {
    return env.render(relPath, vars);
}

/** Serializes a config object as YAML; strings that need quoting (passwords!) get quoted by the library. */
export function toYaml(doc: unknown): string {
    return YAML.stringify(doc, { lineWidth: 0 });
}
