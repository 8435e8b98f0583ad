/**
 * Splits a MySQL dump into statements, so that the importer can (a) find database-level
 * statements and leave them out, and (b) send the rest in bounded batches.
 *
 * Knows exactly what decides where a statement ends in MySQL's lexer: '...', "...", `...`
 * (with backslash escapes and doubled quotes), -- and # line comments, and /* *\/ comments
 * (including /*! executable comments, which are kept verbatim). The client-only `DELIMITER`
 * command is not supported (it is not SQL and mysql2 cannot run it): such dumps are refused.
 */

export interface DumpStatement {
    /** Exact text including comments before it, without the terminating semicolon. */
    text: string;
    /** 1-based line where the statement starts, for messages. */
    line: number;
}

/** Splits on top-level semicolons. Text after the last semicolon is a final statement if not blank. */
export function splitMysqlStatements(sql: string): DumpStatement[] {
    const out: DumpStatement[] = [];
    let start = 0;
    let startLine = 1;
    let line = 1;
    let i = 0;
    const n = sql.length;
    const push = (end: number) => {
        const text = sql.slice(start, end);
        if (stripComments(text).trim().length > 0) out.push({ text, line: startLine + leadingNewlines(text) });
    };
    while (i < n) {
        const ch = sql[i];
        const next = sql[i + 1];
        if (ch === "\n") {
            line++;
            i++;
        } else if (ch === "'" || ch === '"' || ch === "`") {
            i++;
            while (i < n && sql[i] !== ch) {
                if (sql[i] === "\\" && ch !== "`") i++;
                if (sql[i] === "\n") line++;
                i++;
            }
            i++;
        } else if (ch === "#" || (ch === "-" && next === "-" && /[\s]/.test(sql[i + 2] ?? "\n"))) {
            while (i < n && sql[i] !== "\n") i++;
        } else if (ch === "/" && next === "*") {
            const close = sql.indexOf("*/", i + 2);
            const end = close === -1 ? n : close + 2;
            for (let j = i; j < end; j++) if (sql[j] === "\n") line++;
            i = end;
        } else if (ch === ";") {
            push(i);
            i++;
            start = i;
            startLine = line;
        } else {
            i++;
        }
    }
    push(n);
    return out;
}

function leadingNewlines(text: string): number {
    const m = /^[\s]*/.exec(text);
    return m ? (m[0].match(/\n/g) ?? []).length : 0;
}

/** The statement with comments removed (executable /*! comments too: only for classifying). */
export function stripComments(text: string): string {
    return text
        .replace(/\/\*[\s\S]*?\*\//g, " ")
        .replace(/(^|\n)\s*(#|-- )[^\n]*/g, "$1")
        .replace(/^--\s*$/gm, "");
}

/** A statement that creates, drops or selects a whole database, with the database it names. */
export interface DatabaseLevelStatement {
    kind: "create" | "drop" | "use";
    database: string;
    line: number;
}

function unquoteIdentifier(raw: string): string {
    const m = /^`((?:[^`]|``)*)`/.exec(raw);
    if (m) return m[1].replace(/``/g, "`");
    return raw.replace(/[;\s].*$/s, "");
}

/** Recognises CREATE/DROP DATABASE|SCHEMA and USE; undefined for everything else. */
export function databaseLevel(statement: DumpStatement): DatabaseLevelStatement | undefined {
    const body = stripComments(statement.text).trim();
    const ddl = /^(create|drop)\s+(?:database|schema)\s+(?:if\s+(?:not\s+)?exists\s+)?(\S.*)$/is.exec(body);
    if (ddl) return { kind: ddl[1].toLowerCase() as "create" | "drop", database: unquoteIdentifier(ddl[2]), line: statement.line };
    const use = /^use\s+(\S.*)$/is.exec(body);
    if (use) return { kind: "use", database: unquoteIdentifier(use[1]), line: statement.line };
    return undefined;
}

/** Line of the first client-side DELIMITER command, if any. */
export function delimiterLine(sql: string): number | undefined {
    const index = sql.split("\n").findIndex((l) => /^\s*DELIMITER\s/i.test(l));
    return index === -1 ? undefined : index + 1;
}

/** Groups statements into batches of at most `maxBytes` (one statement may exceed it alone). */
export function batchStatements(statements: DumpStatement[], maxBytes = 512 * 1024): string[] {
    const batches: string[] = [];
    let current = "";
    for (const s of statements) {
        const piece = s.text + ";\n";
        if (current && Buffer.byteLength(current) + Buffer.byteLength(piece) > maxBytes) {
            batches.push(current);
            current = "";
        }
        current += piece;
    }
    if (current) batches.push(current);
    return batches;
}
