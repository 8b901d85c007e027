// Tokenizer for xl config files, following libxlu_cfg_l.l token for token
// (flex longest match, first rule on ties). Where libxlu's behaviour is a
// plain bug we diverge and say so; each choice has a test in lexer.test.ts.

import type { Diagnostic } from './errors.js';

export type TokenKind =
  | 'IDENT' | 'NUMBER' | 'STRING' | 'NEWLINE'
  | ',' | '[' | ']' | '+=' | '=' | ';' | 'EOF';

export interface Token {
  kind: TokenKind;
  /** Source text of the token (for STRING: with its quotes). */
  text: string;
  /** Dequoted value for STRING; the raw text for IDENT and NUMBER. */
  value: string;
  line: number;
  column: number;
}

export interface LexResult {
  tokens: Token[];
  diagnostics: Diagnostic[];
  /** Lines that had a lexical error (the parser reports nothing more there). */
  errorLines: Set<number>;
  /** libxlu's hint: a lexical error on one of + - . ( ) : */
  likelyPython: boolean;
}

const IDENT_RE = /[a-z][._0-9a-z]*/y;
const NUMBER_RE = /[0-9][0-9a-fx]*/y;
const SQ_RE = /'(?:[^'\\\n]|\\.)*'/y;
const DQ_RE = /"(?:[^"\\\n]|\\.)*"/y;
const LEXERR_RUN_RE = /[^ \t\n]*/y;

function matchAt(re: RegExp, s: string, pos: number): string | null {
  re.lastIndex = pos;
  const m = re.exec(s);
  return m ? m[0] : null;
}

/**
 * Decodes a quoted string's escapes. libxlu accepts \" \' \\ \a \b \f \n
 * \r \t \v; its numeric escapes are broken (\x always errors, \ooo drops
 * the character), so we decode them as C does and warn.
 */
export function dequote(
  quoted: string,
  onError: (msg: string, offset: number) => void,
  onWarn: (msg: string, offset: number) => void,
): string {
  const body = quoted.slice(1, -1);
  let out = '';
  for (let i = 0; i < body.length; ) {
    const c = body[i++];
    if (c !== '\\') { out += c; continue; }
    const at = i; // offset of the char after the backslash, within body
    const nc = body[i++];
    switch (nc) {
      case '"': case "'": case '\\': out += nc; break;
      case 'a': out += '\x07'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'v': out += '\v'; break;
      case 'x': {
        const m = /^[0-9a-fA-F]{1,2}/.exec(body.slice(i));
        if (!m) {
          onError('invalid digit after backslash hex numerical character escape in quoted string', at);
          return out;
        }
        i += m[0].length;
        out += String.fromCharCode(parseInt(m[0], 16));
        onWarn(`hex escape \\x${m[0]}: the C xl rejects this escape (libxlu bug); xenlight-ts decodes it`, at);
        break;
      }
      default:
        if (nc !== undefined && nc >= '0' && nc <= '7') {
          const m = /^[0-7]{0,2}/.exec(body.slice(i))!;
          i += m[0].length;
          out += String.fromCharCode(parseInt(nc + m[0], 8) & 0xff);
          onWarn(`octal escape \\${nc}${m[0]}: the C xl drops or rejects this escape (libxlu bug); xenlight-ts decodes it`, at);
          break;
        }
        onError('invalid character after backslash in quoted string', at);
        return out;
    }
  }
  return out;
}

export function lex(text: string, source: string): LexResult {
  const tokens: Token[] = [];
  const diagnostics: Diagnostic[] = [];
  const errorLines = new Set<number>();
  let likelyPython = false;
  let pos = 0;
  let line = 1;
  let lineStart = 0;

  const col = (p: number) => p - lineStart + 1;
  const push = (kind: TokenKind, t: string, value: string, p: number) =>
    tokens.push({ kind, text: t, value, line, column: col(p) });
  const lexError = (message: string, p: number, near: string) => {
    if (errorLines.has(line)) return; // libxlu reports one error per line
    errorLines.add(line);
    diagnostics.push({ severity: 'error', source, line, column: col(p), message, near });
  };

  while (pos < text.length) {
    const c = text[pos];
    const start = pos;
    if (c >= 'a' && c <= 'z') {
      const t = matchAt(IDENT_RE, text, pos)!;
      push('IDENT', t, t, pos); pos += t.length; continue;
    }
    if (c >= '0' && c <= '9') {
      const t = matchAt(NUMBER_RE, text, pos)!;
      push('NUMBER', t, t, pos); pos += t.length; continue;
    }
    if (c === ' ' || c === '\t') { pos++; continue; }
    if (c === ',' || c === '[' || c === ']' || c === '=' || c === ';') {
      push(c, c, c, pos); pos++; continue;
    }
    if (c === '+' && text[pos + 1] === '=') { push('+=', '+=', '+=', pos); pos += 2; continue; }
    if (c === '\n') {
      push('NEWLINE', '\n', '\n', pos); pos++; line++; lineStart = pos; continue;
    }
    if (c === '#') {
      const nl = text.indexOf('\n', pos);
      // libxlu needs the comment's newline; a last-line comment without one
      // is a lexical error there (a plain bug), so we accept it.
      const end = nl < 0 ? text.length : nl;
      const t = text.slice(pos, end);
      if (nl < 0) { pos = end; continue; }
      push('NEWLINE', t + '\n', '\n', pos); pos = nl + 1; line++; lineStart = pos; continue;
    }
    if (c === "'" || c === '"') {
      const t = matchAt(c === "'" ? SQ_RE : DQ_RE, text, pos);
      if (t !== null) {
        const l = line;
        const value = dequote(
          t,
          (msg, off) => lexError(msg, start + 1 + off, t),
          (msg, off) => diagnostics.push({ severity: 'warning', source, line: l, column: col(start + 1 + off), message: msg, near: t }),
        );
        push('STRING', t, value, pos); pos += t.length; continue;
      }
    }
    // Anything else starts a lexical error that runs to the next blank.
    if ('+-.():'.includes(c)) likelyPython = true;
    pos++;
    let near = c;
    if (pos < text.length && (text[pos] === ' ' || text[pos] === '\t')) {
      pos++;
    } else if (pos < text.length && text[pos] !== '\n') {
      const run = matchAt(LEXERR_RUN_RE, text, pos)!;
      near += run; pos += run.length;
    }
    let message = 'lexical error';
    if (c === "'" || c === '"') message = 'unterminated quoted string (strings cannot span lines)';
    else if (c === '\r') message = 'carriage return in config (DOS line endings are not accepted; convert the file with dos2unix)';
    else if (c >= 'A' && c <= 'Z') message = 'unexpected upper-case word (keys are lower-case; string values must be quoted)';
    else if (c === '-') message = 'unexpected `-\' (negative numbers must be quoted, e.g. "-1")';
    else if (c === '.' && start > 0 && /[0-9]/.test(text[start - 1])) message = 'numbers are whole numbers here (no decimal point)';
    lexError(message, start, near.replace(/[ \t\r]+$/, ''));
  }
  push('EOF', '', '', pos);
  return { tokens, diagnostics, errorLines, likelyPython };
}
