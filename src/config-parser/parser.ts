// Grammar of xl config files, as libxlu_cfg_y.y: `key = value` or
// `key += value` ended by newline or `;`, values are atoms (quoted strings
// or numbers, both kept as text) or [lists] that nest, may span lines and
// may end with a comma. `+=` appends to the previous setting of the same
// key; the last setting of a key wins.

import { type Diagnostic, ConfigSyntaxError } from './errors.js';
import { lex, type Token } from './lexer.js';
import { pythonHint } from './python.js';

export interface Loc { line: number; column: number }

export type CfgValue =
  | { type: 'string'; value: string; loc: Loc }
  | { type: 'list'; values: CfgValue[]; loc: Loc };

export interface Setting {
  name: string;
  op: '=' | '+=';
  value: CfgValue;
  /** Line of the value, which is what libxlu reports. */
  line: number;
  /** Where the key itself is. */
  keyLoc: Loc;
}

export interface ParsedConfig {
  source: string;
  /** All settings in file order; later ones win (see `get`). */
  settings: Setting[];
  /** Non-fatal findings (e.g. numeric string escapes). */
  warnings: Diagnostic[];
  /** The most recent setting of `name`, as libxlu's find(). */
  get(name: string): Setting | undefined;
  /** Names set in the file, in first-seen order. */
  names(): string[];
}

const DESCRIBE: Record<string, string> = {
  IDENT: 'a bare word', NUMBER: 'a number', STRING: 'a string', NEWLINE: 'end of line',
  ',': '`,\'', '[': '`[\'', ']': '`]\'', '+=': '`+=\'', '=': '`=\'', ';': '`;\'', EOF: 'end of file',
};

class SyntaxErr extends Error {
  constructor(readonly tok: Token, message: string) { super(message); }
}

export function parseConfigText(text: string, source = 'config'): ParsedConfig {
  const lexed = lex(text, source);
  const toks = lexed.tokens;
  const diagnostics: Diagnostic[] = [...lexed.diagnostics.filter((d) => d.severity === 'error')];
  const warnings = lexed.diagnostics.filter((d) => d.severity === 'warning');
  const errorLines = new Set(lexed.errorLines);
  const settings: Setting[] = [];
  let i = 0;
  const peek = () => toks[i];
  const next = () => toks[i++];
  const skipNewlines = () => { while (peek().kind === 'NEWLINE') i++; };

  let depth = 0;
  const parseValue = (): CfgValue => {
    const t = peek();
    // bison's stack stops at 10000 entries ("memory exhausted")
    if (depth > 5000) throw new SyntaxErr(t, 'lists nested too deeply');
    if (t.kind === 'STRING' || t.kind === 'NUMBER') {
      next();
      return { type: 'string', value: t.value, loc: { line: t.line, column: t.column } };
    }
    if (t.kind === '[') {
      next();
      const values: CfgValue[] = [];
      depth++;
      try {
      skipNewlines();
      if (peek().kind === ']') { next(); return { type: 'list', values, loc: { line: t.line, column: t.column } }; }
      for (;;) {
        values.push(parseValue());
        skipNewlines();
        const sep = peek();
        if (sep.kind === ']') { next(); break; }
        if (sep.kind !== ',') throw new SyntaxErr(sep, `expected \`,' or \`]' in list, found ${DESCRIBE[sep.kind]}`);
        next();
        skipNewlines();
        if (peek().kind === ']') { next(); break; } // trailing comma
      }
      } finally { depth--; }
      return { type: 'list', values, loc: { line: t.line, column: t.column } };
    }
    if (t.kind === 'IDENT') {
      throw new SyntaxErr(t, `bare word \`${t.text}' is not a value; quote it: "${t.text}"`);
    }
    throw new SyntaxErr(t, `expected a value (a quoted string, a number or a [list]), found ${DESCRIBE[t.kind]}`);
  };

  const store = (name: Token, op: '=' | '+=', value: CfgValue) => {
    const setting: Setting = {
      name: name.value, op, value, line: value.loc.line,
      keyLoc: { line: name.line, column: name.column },
    };
    if (op === '+=') {
      const prev = findLast(settings, name.value);
      if (prev) {
        if (prev.value.type !== value.type) {
          throw new SyntaxErr(name, `can't add [list] to "string" or vice versa (\`${name.value} +=' must match the earlier setting's type)`);
        }
        if (prev.value.type === 'string' && value.type === 'string') {
          setting.value = { type: 'string', value: prev.value.value + value.value, loc: value.loc };
        } else if (prev.value.type === 'list' && value.type === 'list') {
          setting.value = { type: 'list', values: [...prev.value.values, ...value.values], loc: value.loc };
        }
      }
    }
    settings.push(setting);
  };

  while (peek().kind !== 'EOF') {
    const t = peek();
    try {
      if (t.kind === 'NEWLINE' || t.kind === ';') { next(); continue; }
      if (t.kind !== 'IDENT') {
        throw new SyntaxErr(t, t.kind === 'STRING' || t.kind === 'NUMBER'
          ? `expected a key name at the start of a setting, found ${DESCRIBE[t.kind]}`
          : `unexpected ${DESCRIBE[t.kind]} at the start of a setting`);
      }
      next();
      const opTok = peek();
      if (opTok.kind !== '=' && opTok.kind !== '+=') {
        throw new SyntaxErr(opTok, `expected \`=' or \`+=' after \`${t.text}', found ${DESCRIBE[opTok.kind]}`);
      }
      next();
      const value = parseValue();
      const end = peek();
      if (end.kind !== 'NEWLINE' && end.kind !== ';' && end.kind !== 'EOF') {
        throw new SyntaxErr(end, `expected end of line or \`;' after the value of \`${t.text}', found ${DESCRIBE[end.kind]}`);
      }
      store(t, opTok.kind, value);
      if (end.kind !== 'EOF') next();
    } catch (e) {
      if (!(e instanceof SyntaxErr)) throw e;
      const bad = e.tok;
      const line = bad.kind === 'NEWLINE' ? bad.line : bad.line;
      if (![...errorLines].some((l) => l >= line)) {
        errorLines.add(line);
        diagnostics.push({
          severity: 'error', source, line, column: bad.column,
          message: e.message, near: bad.kind === 'NEWLINE' || bad.kind === 'EOF' ? undefined : bad.text,
        });
      }
      // Recover as bison's `error NEWLINE`: drop tokens to the next newline.
      while (peek().kind !== 'NEWLINE' && peek().kind !== 'EOF') i++;
      if (peek().kind === 'NEWLINE') i++;
    }
  }

  if (diagnostics.length) {
    diagnostics.sort((a, b) => a.line - b.line || a.column - b.column);
    const lines = text.split('\n');
    for (const d of diagnostics) {
      const lineText = lines[d.line - 1] ?? '';
      const hint = pythonHint(lineText, lexed.likelyPython);
      if (hint) {
        d.message = `${hint}; ${d.message}`;
        d.column = lineText.length - lineText.trimStart().length + 1;
        d.near = lineText.trim();
      }
    }
    throw new ConfigSyntaxError(diagnostics);
  }
  return makeParsed(source, settings, warnings);
}

function findLast(settings: Setting[], name: string): Setting | undefined {
  for (let k = settings.length - 1; k >= 0; k--) if (settings[k].name === name) return settings[k];
  return undefined;
}

export function makeParsed(source: string, settings: Setting[], warnings: Diagnostic[] = []): ParsedConfig {
  return {
    source, settings, warnings,
    get: (name) => findLast(settings, name),
    names: () => [...new Set(settings.map((s) => s.name))],
  };
}
