// Grammar and lexer of xl.cfg (libxlu_cfg_l.l / libxlu_cfg_y.y), one test
// per rule, and one per quirk we keep or deliberately fix.
import { describe, expect, it } from 'vitest';
import { ConfigError, lex, parseConfigText, type CfgValue } from '../../../src/config-parser/index.js';

const parse = (t: string) => parseConfigText(t, 'g.cfg');
const str = (v: CfgValue | undefined) => (v?.type === 'string' ? v.value : undefined);
const errorOf = (t: string) => {
  try { parse(t); } catch (e) { if (e instanceof ConfigError) return e.diagnostics; throw e; }
  throw new Error('expected a ConfigError');
};

describe('lexer tokens', () => {
  it('splits idents, numbers, strings and punctuation like libxlu', () => {
    const kinds = lex('a.b_1 = 0x1f, [ "s" ] += ;\n', 'x').tokens.map((t) => t.kind);
    expect(kinds).toEqual(['IDENT', '=', 'NUMBER', ',', '[', 'STRING', ']', '+=', ';', 'NEWLINE', 'EOF']);
  });
  it('NUMBER is [0-9][0-9a-fx]*, so 1e5 and 0xff are single atoms', () => {
    const t = lex('x = 1e5 0xff\n', 'x').tokens.filter((k) => k.kind === 'NUMBER').map((k) => k.text);
    expect(t).toEqual(['1e5', '0xff']);
  });
  it('upper-case hex digits are not part of a NUMBER (kept quirk): 0x1F is an error', () => {
    const d = errorOf('memory = 0x1F\n');
    expect(d[0]).toMatchObject({ line: 1, column: 13 });
  });
  it('reports line and column of a lexical error', () => {
    const d = errorOf('name = "x"\n  cap = -5\n');
    expect(d).toHaveLength(1);
    expect(d[0]).toMatchObject({ line: 2, column: 9, near: '-5' });
    expect(d[0].message).toMatch(/negative numbers must be quoted/);
  });
});

describe('assignments', () => {
  it('key = value ended by newline or ;', () => {
    const p = parse('a = 1; b = "two"\nc = \'3\'\n');
    expect(p.names()).toEqual(['a', 'b', 'c']);
    expect(str(p.get('b')?.value)).toBe('two');
  });
  it('the last setting may lack a newline', () => {
    expect(str(parse('a = 1\nb = 2').get('b')?.value)).toBe('2');
  });
  it('the last assignment wins', () => {
    expect(str(parse('a = 1\na = 2\n').get('a')?.value)).toBe('2');
  });
  it('records the line of the value', () => {
    const p = parse('\n\nvif = [\n "x" ]\n');
    expect(p.get('vif')).toMatchObject({ line: 3, keyLoc: { line: 3, column: 1 } });
  });
  it('a bare word is not a value', () => {
    expect(errorOf('builder = hvm\n')[0].message).toMatch(/bare word `hvm' is not a value; quote it/);
  });
  it('needs = or +=', () => {
    expect(errorOf('memory 5\n')[0]).toMatchObject({ line: 1, column: 8 });
  });
  it('reports one error per line and goes on to later lines', () => {
    const d = errorOf('a = = 1\nb = 2\nc = ]\n');
    expect(d.map((x) => x.line)).toEqual([1, 3]);
  });
});

describe('strings', () => {
  it('decodes C escapes in both quote styles', () => {
    const p = parse('a = "t\\tn\\n q\\" s\\\' b\\\\"\nb = \'it\\\'s\'\n');
    expect(str(p.get('a')?.value)).toBe('t\tn\n q" s\' b\\');
    expect(str(p.get('b')?.value)).toBe("it's");
  });
  it('rejects unknown escapes', () => {
    expect(errorOf('a = "\\q"\n')[0].message).toMatch(/invalid character after backslash/);
  });
  it('cannot span lines', () => {
    expect(errorOf('a = "x\ny"\n')[0].message).toMatch(/unterminated/);
  });
  it('decodes numeric escapes (libxlu drops or rejects them: a fixed bug) and warns', () => {
    const p = parse('a = "\\x41\\102"\n');
    expect(str(p.get('a')?.value)).toBe('AB');
    expect(p.warnings.map((w) => w.message).join(' ')).toMatch(/C xl rejects.*\n?.*C xl drops/s);
  });
});

describe('lists', () => {
  it('nest, span lines, allow comments and a trailing comma', () => {
    const p = parse('l = [ "a", [ "b", 1 ],\n  # c\n  "d",\n]\n');
    const v = p.get('l')!.value;
    expect(v.type).toBe('list');
    if (v.type !== 'list') return;
    expect(v.values.map((x) => x.type)).toEqual(['string', 'list', 'string']);
    expect(v.values[1].type === 'list' && v.values[1].values.map(str)).toEqual(['b', '1']);
  });
  it('may be empty', () => {
    const v = parse('l = [\n]\n').get('l')!.value;
    expect(v.type === 'list' && v.values.length).toBe(0);
  });
  it('a lone comma is a syntax error', () => {
    expect(errorOf('l = [ , ]\n')[0].line).toBe(1);
  });
});

describe('+=', () => {
  it('concatenates strings', () => {
    expect(str(parse('e = "a"\ne += "b"\ne += \'c\'\n').get('e')?.value)).toBe('abc');
  });
  it('appends lists', () => {
    const v = parse('d = [ "a" ]\nd += [ "b", "c" ]\n').get('d')!.value;
    expect(v.type === 'list' && v.values.map(str)).toEqual(['a', 'b', 'c']);
  });
  it('without an earlier value it just sets, marked as +=', () => {
    const s = parse('e += "x"\n').get('e')!;
    expect([s.op, str(s.value)]).toEqual(['+=', 'x']);
  });
  it('refuses to mix a list and a string', () => {
    expect(errorOf('e = "a"\ne += [ "b" ]\n')[0].message).toMatch(/can't add \[list\] to "string"/);
  });
});

describe('comments and blanks', () => {
  it('# runs to the end of the line', () => {
    expect(parse('# c\na = 1 # d\n\t \n').names()).toEqual(['a']);
  });
  it('a comment on the last line without a newline is accepted (libxlu rejects it: a fixed bug)', () => {
    expect(parse('a = 1\n# end').names()).toEqual(['a']);
  });
  it('junk after the last value at end of file is an error (libxlu misses it: a fixed bug)', () => {
    expect(errorOf('a = 1 )')[0].message).toMatch(/lexical error/);
  });
  it('CR of DOS line endings is an error, as in the C xl', () => {
    expect(errorOf('a = 1\r\n')[0].message).toMatch(/DOS line endings/);
  });
});

describe('Python-era content', () => {
  it.each([
    ['import os\n', /Python `import' statement/],
    ['from os import uname\n', /Python `from' statement/],
    ['arch = os.uname()[4]\n', /Python function call/],
    ['if arch == "x86_64":\n', /Python `if' statement/],
    ['memory = int("512")\n', /Python function call/],
  ])('%j gets a specific error naming the line', (text, re) => {
    const d = errorOf('name = "x"\n' + text)[0];
    expect(d.line).toBe(2);
    expect(d.column).toBe(1);
    expect(d.message).toMatch(re);
    expect(d.message).toMatch(/xl config files are not Python/);
  });
  it('ordinary syntax errors do not mention Python', () => {
    expect(errorOf('memory 5\n')[0].message).not.toMatch(/Python/);
  });
});

describe('Python arithmetic', () => {
  it.each(['memory = 512 * 2\n', 'name = "vm-%d" % 3\n', 'extra = "a" + "b"\n'])('%j is called Python', (t) => {
    expect(errorOf(t)[0].message).toMatch(/Python arithmetic or string formatting/);
  });
  it('+= is not arithmetic', () => {
    expect(parse('e = "a"\ne += "b"\n').names()).toEqual(['e']);
  });
});

it('a decimal number gets a specific lexical error', () => {
  expect(errorOf('memory = 512.5\n')[0]).toMatchObject({ line: 1, column: 13, message: 'numbers are whole numbers here (no decimal point)' });
});
