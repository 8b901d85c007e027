// Renders man/xl.cfg.5 (roff) from the key table in keys.ts, so the page
// documents exactly the keys we accept. Regenerate with
//   UPDATE_MAN=1 npx vitest run test/unit/config-parser/man.test.ts
// (the test fails while the committed page is stale).

import { KEYS, XM_ONLY_KEYS, type KeyDef, type Section } from './keys.js';

const SECTIONS: Section[] = [
  'General', 'Events', 'CPU and memory', 'Scheduling', 'Boot', 'PVH', 'Devices', 'PCI passthrough',
  'Graphics and input', 'HVM', 'Device model', 'Security', 'x86', 'Arm',
];

/** Escapes text for roff: backslashes, minus signs, and a leading dot or quote. */
export function esc(s: string): string {
  return s.replace(/\\/g, '\\e').replace(/-/g, '\\-').replace(/^([.'])/gm, '\\&$1');
}

/** One roff paragraph of escaped text. */
export function para(text: string): string {
  return '.PP\n' + esc(text) + '\n';
}

function keyEntry(d: KeyDef): string {
  const tags: string[] = [d.kind];
  if (d.only) tags.push(`${d.only.join('/')} only`);
  if (d.since) tags.push(`Xen ${d.since} and later`);
  if (d.deprecated) tags.push(`deprecated: ${d.deprecated}`);
  return `.TP\n.B ${esc(d.name)}\n(${esc(tags.join('; '))}) ${esc(d.doc)}\n`;
}

export function renderXlCfgMan(): string {
  let out = '';
  out += '.\\" Generated from src/config-parser/keys.ts by src/config-parser/man.ts; do not edit.\n';
  out += '.TH XL.CFG 5 "" "xenlight-ts" "File Formats"\n';
  out += '.SH NAME\nxl.cfg \\- xl domain configuration files\n';
  out += '.SH SYNOPSIS\n/etc/xen/\\fIdomain\\fR.cfg\n';
  out += '.SH DESCRIPTION\n';
  out += para('A domain configuration file describes one guest for xl create. xenlight-ts reads it exactly as the C xl of Xen 4.17 and 4.20 does, and reports problems as file:line:column: message.');
  out += '.SH SYNTAX\n';
  out += para('Each setting is KEY = VALUE or KEY += VALUE, ended by a newline or a semicolon. Keys are lower-case letters, digits, dots and underscores, starting with a letter.');
  out += para('A value is a string in double or single quotes, a number, or a list in square brackets. Strings cannot span lines; they understand the C escapes \\n \\t \\" \\\' \\\\ and friends. Numbers and quoted numbers are the same: memory = 512 and memory = "512" are equal. A leading 0x means hexadecimal and a leading 0 means octal, so 010 is 8. Negative numbers and bare words must be quoted.');
  out += para('Lists hold values separated by commas; they may nest, span several lines, contain comments between items, and end with a comma.');
  out += para('+= appends a list to the list set earlier for the same key, or a string to the string. With no earlier setting it just sets the value. Numbers cannot be added: the key is then ignored with a warning.');
  out += para('When a key is set more than once, the last setting wins. A # starts a comment that runs to the end of the line. Files with DOS line endings are refused.');
  out += para('Configuration files are not Python: xm-era files with import, if, or function calls such as os.uname() are refused with an error naming the line.');
  out += para('Trailing KEY=VALUE arguments of xl create are appended after the file, so they override it; xl create -n prints the resulting domain configuration as JSON without creating the guest.');
  out += para('Keys xl does not read are reported as warnings, with the closest known key; the C xl ignores them silently.');
  for (const section of SECTIONS) {
    const keys = KEYS.filter((d) => d.section === section && d.name !== 'claim_mode');
    if (!keys.length) continue;
    out += `.SH ${esc(section.toUpperCase())}\n`;
    for (const d of keys) out += keyEntry(d);
  }
  out += '.SH XM SETTINGS THAT XL DOES NOT READ\n';
  for (const [name, advice] of Object.entries(XM_ONLY_KEYS)) out += `.TP\n.B ${esc(name)}\n${esc(advice)}.\n`;
  out += '.SH SEE ALSO\nxl(1), xl\\-disk\\-configuration(5), xl\\-network\\-configuration(5)\n';
  return out;
}
