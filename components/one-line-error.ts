/**
 * An Error whose message is one line and whose stack is that same line. A dynamic provider
 * surfaces `message` on create/update but prints `stack` on delete/read/check, so either way the
 * user sees one line, never a trace of our internals. A plain Error with fields, not a subclass:
 * Pulumi's closure serializer turns classes into functions, and a serialized
 * `class X extends Error` lost its message.
 */
export function oneLineError<T extends object>(text: string, fields: T = {} as T): Error & T {
    const line = text.replace(/\s*[\r\n]+\s*/g, " ");
    const err = Object.assign(new Error(line), fields);
    err.stack = line;
    return err;
}
